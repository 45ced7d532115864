#!/usr/bin/env bash
# On the GPU machine (issue 24, "measure first"): where the frame's time goes
# with the real models (D-FINE-S + MobileSAM, fp16 AOTInductor packages,
# random weights; export_aoti.py arguments in AOTI_ARGS, e.g.
# "--inductor-config coordinate_descent_tuning=True"), exported in parallel
# with the C++ build:
#   1. igtbridge-bench pipeline back to back with --kernel-profile (CUPTI
#      kernel records: kernels per frame, GPU busy and idle, per stream, the
#      top kernels);
#   2. igtbridge-bench gpu live at 100 and 200 frames/s (the bridge's own
#      stage means; each frame's stage times in kpi_FPS.jsonl, for
#      scripts/plot_kpi.py's table of the slowest 1 %), the GPU's clocks
#      logged beside.
#   3. VARIANTS="TAG:KEY=VALUE[,KEY=VALUE...] ...": the detector and encoder
#      exported again with those Inductor options (added to export_aoti.py's
#      defaults; no checks: loading a package back in Python crashed on
#      PyTorch 2.11, parity is gpu_precision.sh's), each run back to back
#      with the base decoder and its kernel summary, against step 1's run.
#   Also the base run with pipeline.stream_priority=normal (default high).
# QUICK=1 leaves out the serial profile; LIVE_SET: more arguments for the
# live runs (e.g. "--set pipeline.stream_priority=normal"); LIVE_RATES picks the live paces
# (default "100 200"; set and empty: no live run).
# Everything comes back as $OUT/profile.tgz (the device tool returns at most 8
# files). Carry ["upstream", ".gpu"]; needs $OUT.
set -uo pipefail
: "${OUT:?set OUT to the result folder}"
RESULTS=$OUT
OUT=/tmp/igtb-profile
mkdir -p "$OUT"
trap 'tar czf "$RESULTS/profile.tgz" -C "$OUT" . ; ls -la "$OUT"' EXIT
source scripts/gpu_common.sh
build_bench &
aoti_packages fp16 "$M/aoti_fp16" detector encoder decoder
for v in ${VARIANTS:-}; do
  AOTI_TAG=${v%%:*} AOTI_ARGS=$(tr ',' '\n' <<<"${v#*:}" | sed 's/^/--inductor-config /' | tr '\n' ' ') \
    aoti_packages fp16 "$M/aoti_fp16_${v%%:*}" detector encoder
done
wait
tail -n 1 "$OUT/cxx_build.log"
grep -h "export_aoti\] [a-z]*: \|FAILED\|Fatal\|Error" "$OUT"/aoti_*.log | cut -c1-300
B=build-gpu/apps
models=(--set models.device=cuda --set models.precision=fp16 --set "models.detector=$M/aoti_fp16/detector.pt2"
        --set "models.encoder=$M/aoti_fp16/encoder.pt2" --set "models.decoder=$M/aoti_fp16/decoder.pt2")
echo "== back to back, kernel profile"
"$B/igtbridge-bench" pipeline --frames 300 --kernel-profile "${KERNEL_FRAMES:-50}" --kernel-top 40 \
  --json "$OUT/pipeline.json" "${models[@]}" >"$OUT/pipeline.txt" 2>&1 ||
  { tail -n 5 "$OUT/pipeline.txt"; "$B/igtbridge-bench" pipeline --frames 300 "${models[@]}" >"$OUT/pipeline.txt" 2>&1; }
head -n 64 "$OUT/pipeline.txt"
if [ "${QUICK:-0}" != 1 ]; then
  echo "== the same without the encoder beside the detector (each model's kernels alone)"
  "$B/igtbridge-bench" pipeline --frames 100 --kernel-profile 20 --kernel-top 10 --set pipeline.overlap_encoder=false \
    "${models[@]}" >"$OUT/pipeline_serial.txt" 2>&1
  grep -E "e2e|sustained|kernels:|stream " "$OUT/pipeline_serial.txt"
fi
echo "== back to back, pipeline.stream_priority=normal (against the default, high)"
"$B/igtbridge-bench" pipeline --frames 300 --kernel-profile 30 --kernel-top 15 --json "$OUT/pipeline_normal.json" \
  "${models[@]}" --set pipeline.stream_priority=normal >"$OUT/pipeline_normal.txt" 2>&1
grep -E "e2e|sustained|kernels:|stream |error" "$OUT/pipeline_normal.txt"
for v in ${VARIANTS:-}; do
  t=${v%%:*} d=$M/aoti_fp16_${v%%:*}
  echo "== variant $t (${v#*:}): back to back, kernel summary"
  "$B/igtbridge-bench" pipeline --frames 300 --kernel-profile 30 --kernel-top 15 --json "$OUT/pipeline_$t.json" \
    "${models[@]}" --set "models.detector=$d/detector.pt2" --set "models.encoder=$d/encoder.pt2" \
    >"$OUT/pipeline_$t.txt" 2>&1
  grep -E "e2e|sustained|kernels:|stream |error" "$OUT/pipeline_$t.txt"
done
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,pstate,utilization.gpu --format=csv -lms 50 \
  >"$OUT/clocks.csv" 2>&1 &
smi=$!
for fps in ${LIVE_RATES-100 200}; do
  echo "== live $fps frames/s"
  "$B/igtbridge-bench" gpu --frames 100 --live-fps "$fps" --live-frames "${LIVE_FRAMES:-1500}" \
    --live-kpi "$OUT/kpi_$fps.jsonl" "${models[@]}" ${LIVE_SET:-} 2>&1 |
    grep -v "^\[" | tee "$OUT/live_$fps.txt" | grep -E "C\+\+ live|live:|stages"
done
kill "$smi" 2>/dev/null
