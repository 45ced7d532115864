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
build_bench . build-gpu "$OUT/build_new.log" &
b1=$!
build_bench "$BASE_TREE" /tmp/igtb-ab-base-build "$OUT/build_base.log" &
b2=$!
[ "${REAL:-0}" = 1 ] && AOTI_LIMIT_S=${REAL_DEADLINE_S:-300} aoti_packages fp16 "$M/aoti_fp16" detector encoder decoder
wait "$b1" "$b2"  # the two builds (the exports may go on)
for l in build_new build_base; do echo "$l: $(tail -n 1 "$OUT/$l.log")"; done
declare -A bin=([new]=build-gpu/apps/igtbridge-bench [base]=/tmp/igtb-ab-base-build/apps/igtbridge-bench)
run() {  # run TAG MODEL_ARGS...: ROUNDS alternating runs of base and new
  local tag=$1 r v
  shift
  for r in $(seq "${ROUNDS:-2}"); do
    for v in base new; do
      # --file: the recording of this tree (the base tree's own default path is its tests/data, not carried).
      "${bin[$v]}" pipeline --file "$PWD/tests/data/SpinePhantomFreehand.igs.mha" --frames "${FRAMES:-500}" \
        --kernel-profile 30 --kernel-top 25 --set models.device=cuda "$@" \
        >"$OUT/${tag}_${v}_$r.txt" 2>&1
      echo "$tag $v $r: $(grep -E "^ *e2e |sustained:|kernels:|^ *stream |error" "$OUT/${tag}_${v}_$r.txt" |
        tr -s ' ' | cut -c1-120 | paste -sd'|')"
    done
  done
}
run demo
if [ "${REAL:-0}" = 1 ]; then
  wait  # the exports, bounded by their timeout
  grep -h "export_aoti\] [a-z]*: \|Error" "$OUT"/aoti_*.log | cut -c1-200
  if [ -f "$M/aoti_fp16/detector.pt2" ] && [ -f "$M/aoti_fp16/encoder.pt2" ] && [ -f "$M/aoti_fp16/decoder.pt2" ]; then
    run real --set models.precision=fp16 --set "models.detector=$M/aoti_fp16/detector.pt2" \
      --set "models.encoder=$M/aoti_fp16/encoder.pt2" --set "models.decoder=$M/aoti_fp16/decoder.pt2"
  else
    echo "real: the packages were not ready after ${REAL_DEADLINE_S:-300} s"
  fi
fi
echo "gpu_ab: $(( $(date +%s) - start )) s"
