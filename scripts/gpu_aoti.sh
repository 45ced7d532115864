#!/usr/bin/env bash
# On the GPU machine: the fp16 pipeline on AOTInductor packages against the
# same pipeline on TorchScript exports, in one call. Compiles the three
# packages in parallel (scripts/export_aoti.py --no-checks, one process per
# role; Inductor takes minutes each) while the TorchScript exports and the C++
# benchmark build run, then igtbridge-bench pipeline on both sets.
# Carry ["upstream", ".gpu"]; needs $OUT. Random weights (see gpu_models.sh).
set -uo pipefail
source scripts/gpu_common.sh
build_bench &
aoti_packages fp16 "$M/aoti_fp16" detector encoder decoder
python3 scripts/export_dfine.py --repo upstream/D-FINE --size s --out "$M/dfine_s/fp16.pt" --precision fp16 \
  --no-checks >"$OUT/ts_dfine.log" 2>&1
python3 scripts/export_mobilesam.py --repo upstream/MobileSAM --out-dir "$M/mobilesam_fp32" --precision fp32 \
  --no-checks >"$OUT/ts_mobilesam.log" 2>&1
wait
tail -n 2 "$OUT/cxx_build.log"
grep -h "export_aoti\] [a-z]*: \|FAILED\|Fatal\|File \"" "$OUT"/aoti_*.log | cut -c1-300
bench() {  # label detector encoder decoder
  echo "== $1"
  build-gpu/apps/igtbridge-bench pipeline --frames "$FRAMES" --set models.device=cuda --set models.precision=fp16 \
    --set models.detector="$2" --set models.encoder="$3" --set models.decoder="$4" --count-copies 20 \
    --json "$OUT/cxx_$1.json" 2>&1 | grep -v "^  [a-z]* *0.00 *0.00" | tee "$OUT/cxx_$1.log"
}
pick() { [ -f "$M/aoti_fp16/$1.pt2" ] && echo "$M/aoti_fp16/$1.pt2" || echo "$2"; }
bench torchscript_fp16 "$M/dfine_s/fp16.pt" "$M/mobilesam_fp32/encoder.pt" "$M/mobilesam_fp32/decoder.pt"
bench aoti_fp16 "$(pick detector "$M/dfine_s/fp16.pt")" "$(pick encoder "$M/mobilesam_fp32/encoder.pt")" \
  "$(pick decoder "$M/mobilesam_fp32/decoder.pt")"
