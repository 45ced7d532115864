#!/usr/bin/env bash
# On the GPU machine: which module may run in fp16. MobileSAM's export with
# its checks (fp16 and bf16 parity per module against fp32, eager), then the
# C++ pipeline on AOTInductor packages, all fp16 or with one module in fp32
# (models.detector_precision / encoder_precision / decoder_precision), against
# PyTorch eager fp32 on the same frames (scripts/parity.py through a saved live
# run, as in gpu_models.sh), the benchmark of each mix, and a live
# run of the mix named by LIVE_MIX (default fp16; empty: none). The packages'
# input checks (AOTI_RUNTIME_CHECK_INPUTS=1) run in a short benchmark of each mix. MIXES (default
# "fp32 fp16 enc32 dec32 det32"; fp32: all packages fp32) picks the mixes. Parity
# also reports eager fp16 against eager fp32 on the same boxes (what PyTorch itself
# loses in fp16 on these frames). Also the ctest label gpu
# (GPU_TESTS=1, default). MOBILESAM_FLAGS=--no-checks skips the eager per-module checks.
# Carry ["upstream", ".gpu"]; needs $OUT. Random weights (see gpu_models.sh).
set -uo pipefail
source scripts/gpu_common.sh
( cmake -S . -B build-gpu -G Ninja $GPU_CMAKE_ARGS && cmake --build build-gpu -j "$(nproc)" ) >"$OUT/cxx_build.log" 2>&1 &
build=$!
aoti_packages fp16 "$M/aoti_fp16" detector encoder decoder
aoti_packages fp32 "$M/aoti_fp32" detector encoder decoder
python3 scripts/export_dfine.py --repo upstream/D-FINE --size s --out "$M/dfine_s/fp32.pt" --precision fp32 \
  --no-checks >"$OUT/ts_dfine.log" 2>&1
python3 scripts/export_mobilesam.py --repo upstream/MobileSAM --out-dir "$M/mobilesam_fp32" --precision fp32 ${MOBILESAM_FLAGS:-} \
  >"$OUT/ts_mobilesam.log" 2>&1
grep -E "parity|ms/forward" "$OUT/ts_mobilesam.log" | cut -c1-400
wait "$build" || { tail -n 20 "$OUT/cxx_build.log"; exit 1; }
[ "${GPU_TESTS:-1}" = 1 ] && ctest --test-dir build-gpu -L gpu --output-on-failure >"$OUT/gpu_tests.log" 2>&1
[ "${GPU_TESTS:-1}" = 1 ] && grep -E "tests passed|Passed|Failed|FAILED" "$OUT/gpu_tests.log"
wait  # the packages
ls -la "$M"/aoti_fp16 "$M"/aoti_fp32
ZERO="--set detect.score_threshold=0 --set match.min_new_score=0 --set visibility.theta_off=0.000001 \
  --set visibility.theta_on=0.000001"
TS="--detector $M/dfine_s/fp32.pt --encoder $M/mobilesam_fp32/encoder.pt --decoder $M/mobilesam_fp32/decoder.pt"
rc=0
for mix in ${MIXES:-fp32 fp16 enc32 dec32 det32}; do
  det=$M/aoti_fp16/detector.pt2 enc=$M/aoti_fp16/encoder.pt2 dec=$M/aoti_fp16/decoder.pt2 over="" prec=fp16
  case $mix in
    fp32) det=$M/aoti_fp32/detector.pt2 enc=$M/aoti_fp32/encoder.pt2 dec=$M/aoti_fp32/decoder.pt2 prec=fp32 ;;
    det32) det=$M/aoti_fp32/detector.pt2; over="--set models.detector_precision=fp32" ;;
    enc32) enc=$M/aoti_fp32/encoder.pt2; over="--set models.encoder_precision=fp32" ;;
    dec32) dec=$M/aoti_fp32/decoder.pt2; over="--set models.decoder_precision=fp32" ;;
  esac
  set_args="--set models.precision=$prec --set models.detector=$det --set models.encoder=$enc \
    --set models.decoder=$dec $over"
  echo "=== $mix: $set_args"
  build-gpu/apps/igtbridge-bench pipeline --frames "$FRAMES" --set models.device=cuda $set_args \
    --json "$OUT/cxx_aoti_$mix.json" >"$OUT/cxx_aoti_$mix.log" 2>&1 || { rc=1; tail -n 3 "$OUT/cxx_aoti_$mix.log"; }
  grep -E "^  e2e|sustained|cuda graphs" "$OUT/cxx_aoti_$mix.log"
  # The packages' own check of their inputs' sizes, dtypes and strides (off by default in AOTInductor)
  AOTI_RUNTIME_CHECK_INPUTS=1 build-gpu/apps/igtbridge-bench pipeline --frames 20 --set models.device=cuda \
    $set_args >"$OUT/cxx_aoti_${mix}_checked.log" 2>&1 && echo "$mix: package input checks passed" \
    || { rc=1; echo "$mix: package input checks FAILED:"; grep -iE "error|check|stride" "$OUT/cxx_aoti_${mix}_checked.log" | head -n 5 | cut -c1-400; }
  rm -rf "/tmp/par-$mix" "$OUT/par-$mix-live"  # a warm machine keeps the last call's frames
  SAVE_DIR=/tmp/par-$mix FPS=20 FRAMES=40 PORT=28954 timeout 120 bash scripts/gpu_live.sh "$OUT/par-$mix-live" \
    $set_args $ZERO >"$OUT/parity_live_$mix.log" 2>&1
  python3 scripts/parity.py --saved /tmp/par-$mix --kpi "$OUT/par-$mix-live/kpi.jsonl" $TS --cxx-precision $prec \
    --floor-precision fp16 \
    --json "$OUT/parity_$mix.json" >"$OUT/parity_$mix.log" 2>&1 || rc=1
  grep -v Warning "$OUT/parity_$mix.log" | tail -n 4
  [ "$mix" = "${LIVE_MIX-fp16}" ] && FPS=100 FRAMES=1000 bash scripts/gpu_live.sh "$OUT/live_$mix" $set_args \
    >"$OUT/live_$mix.log" 2>&1 && grep -E "^live" "$OUT/live_$mix.log"
done
exit $rc
