#!/usr/bin/env bash
# On the GPU machine: a C++ change against the code before it, on one machine
# in one call. igtbridge-bench is built from this working tree and from
# BASE_TREE (the older sources, made here with
#   mkdir -p upstream/ab-base && git archive BASE_COMMIT | tar -x -C upstream/ab-base \
#     --exclude=tests/data --exclude=docs --exclude=bench
# and carried with upstream/), both at once; then `igtbridge-bench pipeline`
# runs ROUNDS times alternately (base, new, base, new, ...) with the demo
# models on CUDA and, with REAL=1, with the real models (fp16 AOTInductor
# packages exported in parallel with the builds, skipped when they are not
# ready by REAL_DEADLINE_S after the start), each run with a kernel profile
# (kernels per frame, per stream). Prints one line per run; all output in
# $OUT/ab.tgz. Carry ["upstream", ".gpu"]; needs $OUT.
# TESTS=1: this tree is built whole and `ctest -L gpu` runs after the builds,
# while the exports compile (before any timed run). FRAMES: timed frames a run (gpu_common.sh's default, 200). With REAL=1: the first real run of the new build also
# writes its kernel trace (scripts/kernel_timeline.py reads it), and
# VARIANT="TAG:KEY=VALUE[,...] ..." (one or more) exports the packages again with those options
# (gpu_common.sh's variant_args, variant_roles) and runs the new build with each against
# the default packages, alternating, ROUNDS times (the last round with each one's kernel trace). SETS="TAG:KEY=VALUE[,KEY=VALUE...] ..." runs the new
# build with the real models once more for each, with those settings (e.g.
# "serial:pipeline.overlap_encoder=false"), its kernel trace and timeline.
set -uo pipefail
: "${OUT:?set OUT to the result folder}"
: "${BASE_TREE:=upstream/ab-base}"
RESULTS=$OUT
OUT=/tmp/igtb-ab
mkdir -p "$OUT"
trap 'tar czf "$RESULTS/ab.tgz" -C "$OUT" .' EXIT
start=$(date +%s)
source scripts/gpu_common.sh
[ -f "$BASE_TREE/CMakeLists.txt" ] || { echo "no base tree in $BASE_TREE"; exit 2; }
if [ "${TESTS:-0}" = 1 ]; then
  # shellcheck disable=SC2086  # GPU_CMAKE_ARGS is a list of words
  (cmake -S . -B build-gpu -G Ninja $GPU_CMAKE_ARGS -DIGTB_BUILD_TESTS=ON -DIGTB_GPU_TESTS=ON &&
    cmake --build build-gpu -j "$(nproc)") >"$OUT/build_new.log" 2>&1 &
  b1=$!
else
  build_bench . build-gpu "$OUT/build_new.log" &
  b1=$!
fi
build_bench "$BASE_TREE" /tmp/igtb-ab-base-build "$OUT/build_base.log" &
b2=$!
[ "${REAL:-0}" = 1 ] && AOTI_LIMIT_S=${REAL_DEADLINE_S:-300} aoti_packages fp16 "$M/aoti_fp16" detector encoder decoder
tags=()
for v in ${VARIANT:-}; do
  tags+=("${v%%:*}")
  [ "${REAL:-0}" = 1 ] || continue
  # shellcheck disable=SC2046  # the roles are a list of words
  AOTI_LIMIT_S=${REAL_DEADLINE_S:-300} AOTI_TAG=${v%%:*} AOTI_ARGS=$(variant_args "${v#*:}") \
    aoti_packages fp16 "$M/aoti_fp16_${v%%:*}" $(variant_roles "${v#*:}")
done
wait "$b1"
built=$?
wait "$b2"  # the two builds (the exports may go on)
for l in build_new build_base; do echo "$l: $(tail -n 1 "$OUT/$l.log")"; done
if [ "${TESTS:-0}" = 1 ]; then  # while the exports compile, before the timed runs (not beside them)
  if [ "$built" = 0 ]; then
    ctest --test-dir build-gpu -L gpu --no-tests=error --output-on-failure >"$OUT/gpu_tests.log" 2>&1
    echo "ctest -L gpu: $(grep -E "tests passed|tests failed" "$OUT/gpu_tests.log")"
    grep -E "Test +#" "$OUT/gpu_tests.log" | tr -s ' ' | cut -c1-100
  else
    echo "ctest -L gpu: not run, the build failed (build_new.log)"
  fi
fi
declare -A bin=([new]=build-gpu/apps/igtbridge-bench [base]=/tmp/igtb-ab-base-build/apps/igtbridge-bench)
run() {  # run TAG MODEL_ARGS...: ROUNDS alternating runs of base and new
  local tag=$1 r v
  shift
  for r in $(seq "${ROUNDS:-2}"); do
    for v in base new; do
      # --file: the recording of this tree (the base tree's own default path is its tests/data, not carried).
      "${bin[$v]}" pipeline --file "$PWD/tests/data/SpinePhantomFreehand.igs.mha" --frames "$FRAMES" \
        --kernel-profile 30 --kernel-top 25 --set models.device=cuda "$@" \
        >"$OUT/${tag}_${v}_$r.txt" 2>&1
      echo "$tag $v $r: $(run_line "$OUT/${tag}_${v}_$r.txt")"
    done
  done
}
run demo
if [ "${REAL:-0}" = 1 ]; then
  while pgrep -f export_aoti.py >/dev/null; do sleep 1; done  # the exports, bounded by their timeout
  grep -h "export_aoti\] [a-z]*: \|Error" "$OUT"/aoti_*.log | cut -c1-200
  if [ -f "$M/aoti_fp16/detector.pt2" ] && [ -f "$M/aoti_fp16/encoder.pt2" ] && [ -f "$M/aoti_fp16/decoder.pt2" ]; then
    real=(--set models.precision=fp16 --set "models.detector=$M/aoti_fp16/detector.pt2"
          --set "models.encoder=$M/aoti_fp16/encoder.pt2" --set "models.decoder=$M/aoti_fp16/decoder.pt2")
    build-gpu/apps/igtbridge-bench pipeline --file tests/data/SpinePhantomFreehand.igs.mha --frames 200 \
      --kernel-profile 50 --kernel-trace "$OUT/trace.csv" --replay-timing 200 --set models.device=cuda "${real[@]}" \
      >"$OUT/trace_run.txt" 2>&1 && echo "traced: $(run_line "$OUT/trace_run.txt")" && timeline "" 50 40
    run real "${real[@]}"
    for e in ${SETS:-}; do  # the new build with other settings, each with its trace and timeline
      t=${e%%:*}
      # shellcheck disable=SC2046  # set_args is a list of words
      build-gpu/apps/igtbridge-bench pipeline --file tests/data/SpinePhantomFreehand.igs.mha --frames "$FRAMES" \
        --kernel-profile 30 --kernel-top 15 --kernel-trace "$OUT/trace_$t.csv" --replay-timing 200 \
        --set models.device=cuda "${real[@]}" $(set_args "${e#*:}") >"$OUT/set_$t.txt" 2>&1
      echo "set $t: $(run_line "$OUT/set_$t.txt")"
      timeline "$t" 30 4
    done
    ready=()
    for t in "${tags[@]}"; do
      if [ -n "$(variant_models "$M/aoti_fp16_$t")" ]; then ready+=("$t"); else echo "variant $t: its packages were not ready"; fi
    done
    if [ ${#ready[@]} -gt 0 ]; then
      for r in $(seq "${ROUNDS:-2}"); do
        for v in default "${ready[@]}"; do
          extra=()
          # shellcheck disable=SC2207  # variant_models is a list of words
          [ "$v" != default ] && extra=($(variant_models "$M/aoti_fp16_$v"))
          [ "$r" = "${ROUNDS:-2}" ] && extra+=(--kernel-trace "$OUT/trace_pkg_$v.csv")
          build-gpu/apps/igtbridge-bench pipeline --file tests/data/SpinePhantomFreehand.igs.mha --frames "$FRAMES" \
            --kernel-profile 30 --kernel-top 25 --replay-timing 200 --set models.device=cuda "${real[@]}" \
            "${extra[@]}" >"$OUT/packages_${v}_$r.txt" 2>&1
          echo "packages $v $r: $(run_line "$OUT/packages_${v}_$r.txt")"
        done
      done
      for v in default "${ready[@]}"; do
        timeline "pkg_$v" 30 4
      done
    fi
  else
    echo "real: the packages were not ready after ${REAL_DEADLINE_S:-300} s"
  fi
fi
echo "gpu_ab: $(( $(date +%s) - start )) s"
