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
#      The key sdpa (sdpa=flash, efficient, math, cudnn) is export_aoti.py's
#      --sdpa, the attention backend: such a variant exports the decoder too.
#      Each run's kernels also go to trace_TAG.csv, step 1's read by
#      scripts/kernel_timeline.py (which stream waits for which).
#      only=ROLE[+ROLE] exports just those roles again (e.g. "decmath:sdpa=math,only=decoder"); the
#      others stay the defaults.
#   Also the base run with each pipeline.stream_priority of PRIORITIES (default "normal"; the default
#   is high; set and empty: none), with its trace and timeline.
#   4. SETS="TAG:KEY=VALUE[,KEY=VALUE...] ...": the same packages with other settings (e.g.
#      "pieces:pipeline.cuda_graph_pieces=true"), each once with its kernel trace, timeline and timed
#      replays, then ROUNDS (default 3) rounds without a profile alternating the defaults and each set;
#      the median of the rounds' e2e p50. HEADLINE_SET=best runs the headline (REFS=1) with the set
#      whose median beat the defaults' (the defaults where none did).
# REFS=1: at the end the headline of docs/performance.md, igtbridge-bench gpu back to back, live at 100
# frames/s and the Python references (eager fp32, torch.compile fp16) in one command (headline.txt/.json).
# TESTS=1 builds the tests too and runs `ctest -L gpu` after the exports;
# ROUNDS=2 (or more) runs the base and the variants once more (no profile) after them;
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
rm -f "$OUT"/trace*.csv "$OUT"/timeline*.txt "$OUT"/frame*.txt  # a warm machine keeps the last call's
trap 'tar czf "$RESULTS/profile.tgz" -C "$OUT" . ; ls -la "$OUT"' EXIT
source scripts/gpu_common.sh
if [ "${TESTS:-0}" = 1 ]; then
  # shellcheck disable=SC2086  # GPU_CMAKE_ARGS is a list of words
  # The GPU tests run as soon as the build is done, beside the exports (their figures are not timed).
  ( (cmake -S . -B build-gpu -G Ninja $GPU_CMAKE_ARGS -DIGTB_BUILD_TESTS=ON -DIGTB_GPU_TESTS=ON &&
     cmake --build build-gpu -j "$(nproc)") >"$OUT/cxx_build.log" 2>&1 &&
    ctest --test-dir build-gpu -L gpu --no-tests=error --output-on-failure >"$OUT/gpu_tests.log" 2>&1) &
else
  build_bench &
fi
aoti_packages fp16 "$M/aoti_fp16" detector encoder decoder
for v in ${VARIANTS:-}; do
  # shellcheck disable=SC2046  # the roles are a list of words
  AOTI_TAG=${v%%:*} AOTI_ARGS=$(variant_args "${v#*:}") aoti_packages fp16 "$M/aoti_fp16_${v%%:*}" \
    $(variant_roles "${v#*:}")
done
wait
tail -n 1 "$OUT/cxx_build.log"
if [ "${TESTS:-0}" = 1 ]; then
  echo "== ctest -L gpu"
  grep -E "tests passed|tests failed|Test +#" "$OUT/gpu_tests.log" | tail -12
fi
grep -h "export_aoti\] [a-z]*: \|FAILED\|Fatal\|Error" "$OUT"/aoti_*.log | cut -c1-300
B=build-gpu/apps
models=(--set models.device=cuda --set models.precision=fp16 --set "models.detector=$M/aoti_fp16/detector.pt2"
        --set "models.encoder=$M/aoti_fp16/encoder.pt2" --set "models.decoder=$M/aoti_fp16/decoder.pt2")
echo "== back to back, kernel profile"
"$B/igtbridge-bench" pipeline --frames 300 --kernel-profile "${KERNEL_FRAMES:-50}" --kernel-top 40 \
  --kernel-trace "$OUT/trace.csv" --replay-timing 300 --json "$OUT/pipeline.json" "${models[@]}" >"$OUT/pipeline.txt" 2>&1 ||
  { tail -n 5 "$OUT/pipeline.txt"; "$B/igtbridge-bench" pipeline --frames 300 "${models[@]}" >"$OUT/pipeline.txt" 2>&1; }
head -n 64 "$OUT/pipeline.txt"
grep "replays timed" "$OUT/pipeline.txt"
timeline "" "${KERNEL_FRAMES:-50}" 70
if [ "${QUICK:-0}" != 1 ]; then
  echo "== the same without the encoder beside the detector (each model's kernels alone)"
  "$B/igtbridge-bench" pipeline --frames 100 --kernel-profile 20 --kernel-top 10 --set pipeline.overlap_encoder=false \
    --kernel-trace "$OUT/trace_serial.csv" --replay-timing 100 "${models[@]}" >"$OUT/pipeline_serial.txt" 2>&1
  grep -E "e2e|sustained|kernels:|stream |replays timed" "$OUT/pipeline_serial.txt"
  timeline serial 20 3
fi
for p in ${PRIORITIES-normal}; do
  echo "== back to back, pipeline.stream_priority=$p (against the default, high)"
  "$B/igtbridge-bench" pipeline --frames 300 --kernel-profile 30 --kernel-top 15 --json "$OUT/pipeline_$p.json" \
    "${models[@]}" --set "pipeline.stream_priority=$p" --kernel-trace "$OUT/trace_$p.csv" >"$OUT/pipeline_$p.txt" 2>&1
  grep -E "e2e|sustained|kernels:|stream |error" "$OUT/pipeline_$p.txt"
  timeline "$p" 30 5
done
for e in ${SETS:-}; do  # the same build and packages with other settings, each with its trace and timeline
  t=${e%%:*}
  echo "== back to back, $t (${e#*:})"
  # shellcheck disable=SC2046  # set_args is a list of words
  "$B/igtbridge-bench" pipeline --frames 300 --kernel-profile 30 --kernel-top 15 --json "$OUT/pipeline_$t.json" \
    "${models[@]}" $(set_args "${e#*:}") --kernel-trace "$OUT/trace_$t.csv" --replay-timing 300 >"$OUT/pipeline_$t.txt" 2>&1
  grep -E "e2e|sustained|kernels:|stream |replays timed|error" "$OUT/pipeline_$t.txt"
  timeline "$t" 30 5
done
headline_sets=""
if [ -n "${SETS:-}" ]; then
  echo "== rounds without a profile, alternating: the defaults, then each of SETS (${ROUNDS:-3} rounds)"
  for r in $(seq "${ROUNDS:-3}"); do
    "$B/igtbridge-bench" pipeline --frames 300 --replay-timing 200 "${models[@]}" >"$OUT/round_base_$r.txt" 2>&1
    echo "base $r: $(run_line "$OUT/round_base_$r.txt")"
    for e in $SETS; do
      t=${e%%:*}
      # shellcheck disable=SC2046  # set_args is a list of words
      "$B/igtbridge-bench" pipeline --frames 300 --replay-timing 200 "${models[@]}" $(set_args "${e#*:}") \
        >"$OUT/round_${t}_$r.txt" 2>&1
      echo "$t $r: $(run_line "$OUT/round_${t}_$r.txt")"
    done
  done
  best=base best_ms=$(median_e2e "$OUT"/round_base_*.txt)
  for e in $SETS; do
    t=${e%%:*} ms=$(median_e2e "$OUT"/round_"$t"_*.txt)
    echo "median e2e p50 of the rounds: $t $ms ms (base $best_ms)"
    if [ "${HEADLINE_SET:-}" = best ] && awk -v a="$ms" -v b="$best_ms" 'BEGIN{exit !(a < b)}'; then
      best=$t best_ms=$ms headline_sets=$(set_args "${e#*:}")
    fi
  done
  [ "${HEADLINE_SET:-}" = best ] && echo "headline settings: $best ${headline_sets:-(the defaults)}"
fi
for v in ${VARIANTS:-}; do
  t=${v%%:*}
  echo "== variant $t (${v#*:}): back to back, kernel summary"
  # shellcheck disable=SC2046  # variant_models is a list of words
  "$B/igtbridge-bench" pipeline --frames 300 --kernel-profile 30 --kernel-top 15 --json "$OUT/pipeline_$t.json" \
    "${models[@]}" $(variant_models "$M/aoti_fp16_$t") \
    --kernel-trace "$OUT/trace_$t.csv" >"$OUT/pipeline_$t.txt" 2>&1
  grep -E "e2e|sustained|kernels:|stream |error" "$OUT/pipeline_$t.txt"
  timeline "$t" 30 5
done
if [ -n "${VARIANTS:-}" ] && [ "${ROUNDS:-1}" -ge 2 ]; then
  echo "== round 2 (no profile): base, then each variant"
  "$B/igtbridge-bench" pipeline --frames 300 "${models[@]}" 2>&1 | grep -E "e2e|sustained" | sed 's/^/base: /'
  for v in ${VARIANTS:-}; do
    t=${v%%:*}
    # shellcheck disable=SC2046  # variant_models is a list of words
    "$B/igtbridge-bench" pipeline --frames 300 "${models[@]}" $(variant_models "$M/aoti_fp16_$t") 2>&1 |
      grep -E "e2e|sustained|error" | sed "s/^/$t: /"
  done
fi
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
if [ "${REFS:-0}" = 1 ]; then
  # The headline of docs/performance.md: back to back, live at 100 frames/s through the sockets, the copies
  # counted, and the Python references (eager fp32, torch.compile fp16) as child processes, in one command.
  echo "== headline: igtbridge-bench gpu with the references"
  mkdir -p "$OUT/ref"  # the bench writes the references' results there and wants the folder made
  # shellcheck disable=SC2086  # headline_sets is a list of words
  "$B/igtbridge-bench" gpu --file tests/data/SpinePhantomFreehand.igs.mha --frames 300 --count-copies 20 \
    --live-fps 100 --live-frames 1500 "${models[@]}" $headline_sets \
    --reference "python3 scripts/reference_pipeline.py --dfine-repo upstream/D-FINE --dfine-size s --mobilesam-repo upstream/MobileSAM" \
    --reference-runs eager:fp32,compile:fp16 --reference-timeout 240 --work-dir "$OUT/ref" \
    --json "$OUT/headline.json" >"$OUT/headline.txt" 2>&1
  grep -v "^\[" "$OUT/headline.txt" | tail -n 30
fi
