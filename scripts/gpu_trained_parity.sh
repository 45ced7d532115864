#!/usr/bin/env bash
# On the GPU machine: mask parity with decisive masks. MobileSAM's prompt
# encoder and mask decoder trained by scripts/train_box_masks.py (ellipses in
# boxes; not MobileSAM's weights, see there), exported as TorchScript fp32 (the
# eager reference) and as AOTInductor fp16 packages (the C++ run); D-FINE-S
# random as in gpu_models.sh (TorchScript fp16 in the C++ run, fp32 for the
# reference). Then a saved live run and scripts/parity.py: C++ fp16 against
# eager fp32 (the 0.98), with eager fp16 on the same boxes beside it.
# TS16=1 (default) also runs the C++ pipeline on the TorchScript files in fp16.
# GPU_TESTS=1 builds everything and runs `ctest -L gpu` at the end.
# Carry [".gpu", "upstream"]; needs $OUT. Exit 1 when a step or parity failed.
set -uo pipefail
trap 'kill $(jobs -p) 2>/dev/null' EXIT  # a failed step leaves no build or export running
source scripts/gpu_common.sh
( cmake -S . -B build-gpu -G Ninja $GPU_CMAKE_ARGS &&
  if [ "${GPU_TESTS:-0}" = 1 ]; then cmake --build build-gpu -j "$(nproc)"; else
    cmake --build build-gpu -j "$(nproc)" --target igtbridge igtbridge-replay igtbridge-listen; fi ) \
  >"$OUT/cxx_build.log" 2>&1 &
build=$!
rc=0
CK=$M/box_masks.pt
ms() { echo "$(( $(date +%s) - T0 )) s"; }
T0=$(date +%s)
# D-FINE first (no MobileSAM weights needed): fp32 for the reference, fp16 for the C++ run.
python3 scripts/export_dfine.py --repo upstream/D-FINE --size s --out "$M/dfine_s/fp32.pt" --precision fp32 \
  --no-checks >"$OUT/ts_dfine_fp32.log" 2>&1 || { rc=1; tail -n 5 "$OUT/ts_dfine_fp32.log"; }
python3 scripts/export_dfine.py --repo upstream/D-FINE --size s --out "$M/dfine_s/fp16.pt" --precision fp16 \
  --no-checks >"$OUT/ts_dfine_fp16.log" 2>&1 || { rc=1; tail -n 5 "$OUT/ts_dfine_fp16.log"; }
echo "D-FINE exported at $(ms)"
timeout 200 python3 scripts/train_box_masks.py --mobilesam-repo upstream/MobileSAM --out "$CK" \
  >"$OUT/train.log" 2>&1 || { echo "training FAILED"; tail -n 20 "$OUT/train.log"; exit 1; }
grep "train_box_masks" "$OUT/train.log" | cut -c1-300
echo "trained at $(ms)"
for r in encoder decoder; do
  timeout 240 python3 scripts/export_aoti.py --mobilesam-repo upstream/MobileSAM --mobilesam-checkpoint "$CK" \
    --out-dir "$M/aoti_fp16" --precision fp16 --only "$r" --no-checks >"$OUT/aoti_fp16_$r.log" 2>&1 &
done
python3 scripts/export_mobilesam.py --repo upstream/MobileSAM --checkpoint "$CK" --out-dir "$M/mobilesam_fp32" \
  --precision fp32 --no-checks >"$OUT/ts_mobilesam.log" 2>&1 || { rc=1; tail -n 5 "$OUT/ts_mobilesam.log"; }
grep -E "loaded weights|RANDOM|accepts any N" "$OUT/ts_mobilesam.log" | cut -c1-200
wait "$build" || { echo "build FAILED"; tail -n 20 "$OUT/cxx_build.log"; exit 1; }
wait  # the packages
for r in encoder decoder; do [ -s "$M/aoti_fp16/$r.pt2" ] || { echo "export of the $r package FAILED"; rc=1; }; done
grep -hE "loaded weights|RANDOM|compiled in|FAILED" "$OUT"/aoti_fp16_*.log | cut -c1-200
echo "exported and built at $(ms)"
ZERO="--set detect.score_threshold=0 --set match.min_new_score=0 --set visibility.theta_off=0.000001 \
  --set visibility.theta_on=0.000001"
REF="--detector $M/dfine_s/fp32.pt --encoder $M/mobilesam_fp32/encoder.pt --decoder $M/mobilesam_fp32/decoder.pt"
run() {  # name encoder decoder
  rm -rf "/tmp/tp-$1" "$OUT/$1-live"
  SAVE_DIR=/tmp/tp-$1 FPS=20 FRAMES=40 PORT=28954 timeout 120 bash scripts/gpu_live.sh "$OUT/$1-live" \
    --set models.precision=fp16 --set models.detector=$M/dfine_s/fp16.pt --set models.encoder=$2 \
    --set models.decoder=$3 $ZERO >"$OUT/$1_live.log" 2>&1
  grep -E "^live" "$OUT/$1_live.log"
  python3 scripts/parity.py --saved /tmp/tp-$1 --kpi "$OUT/$1-live/kpi.jsonl" $REF --cxx-precision fp16 \
    --floor-precision fp16 --json "$OUT/parity_$1.json" >"$OUT/parity_$1.log" 2>&1 || rc=1
  grep -v Warning "$OUT/parity_$1.log" | tail -n 4 | cut -c1-400
}
echo "=== AOTInductor fp16 (encoder, decoder packages trained weights)"
run aoti "$M/aoti_fp16/encoder.pt2" "$M/aoti_fp16/decoder.pt2"
if [ "${TS16:-1}" = 1 ]; then
  echo "=== TorchScript fp16 (the fp32 files in fp16)"
  run ts "$M/mobilesam_fp32/encoder.pt" "$M/mobilesam_fp32/decoder.pt"
fi
if [ "${GPU_TESTS:-0}" = 1 ]; then
  echo "=== ctest -L gpu"
  timeout 200 ctest --test-dir build-gpu -L gpu --output-on-failure >"$OUT/gpu_tests.log" 2>&1 || rc=1
  grep -E "tests passed|tests failed|Failed|Passed" "$OUT/gpu_tests.log" | tail -n 6
fi
echo "total $(ms)"
exit $rc
