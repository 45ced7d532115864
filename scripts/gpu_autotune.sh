#!/usr/bin/env bash
# On the GPU machine (issue 24, step 3): compile AOTInductor packages with
# Inductor's autotuning (TUNE_CONFIGS, default max_autotune_gemm=True: every
# GEMM and convolution timed against Triton templates; pointwise kernels keep
# their heuristics) when one device call (600 s) is too short for it.
# The Inductor cache (autotuning timings, compiled Triton kernels) lives in
# one folder that goes back as $OUT/tune-cache.tgz.NN (15 MiB pieces: the
# device tool returns files of at most 16 MiB, and 8 files: the logs are $OUT/logs.tgz) and comes in again from
# .gpu-cache/ (git-ignored; carry [".gpu-cache"]), so the next call goes on
# where the last one stopped instead of starting again:
#   here:   mkdir -p .gpu-cache && cp FILES_AT/tune-cache.tgz.* .gpu-cache/
# Measured (bench/results/2026-12-07-issue24-autotune.md): after 480 s of the
# detector the cache was 86 MB and the device tool returned only 4 of its 6
# pieces (it caps the total a call returns), so in practice the calls must
# follow each other on one warm machine, where the cache stays in /tmp; the
# archive is made only while it fits (TUNE_ARCHIVE_MAX_MB, default 56).
# BASE=1 builds C++: stage .gpu/ with the cpp-httplib packages (docs/gpu.md).
# TUNE_ROLES (default detector): the roles, compiled one after another (in
# parallel their GPU timings would disturb each other); TUNE_LIMIT_S (default
# 480): the time they get in all. The packages go to $M/aoti_fp16_tuned (and
# into the archive, to be measured on a later machine). BASE=1 also exports
# the default packages ($M/aoti_fp16, at low CPU priority) and builds
# igtbridge-bench beside it, for a measurement on the same warm machine.
# Carry ["upstream", ".gpu", ".gpu-cache"]; needs $OUT.
set -uo pipefail
: "${OUT:?set OUT to the result folder}"
RESULTS=$OUT
OUT=/tmp/igtb-tune-logs  # the logs go back as one file, $RESULTS/logs.tgz (the device tool returns 8 files)
mkdir -p "$OUT"
source scripts/gpu_common.sh
TUNE_CACHE=/tmp/igtb-inductor-tune
TUNED=$M/aoti_fp16_tuned
mkdir -p "$TUNE_CACHE" "$TUNED"
if ls .gpu-cache/tune-cache.tgz.* >/dev/null 2>&1; then
  cat .gpu-cache/tune-cache.tgz.* | tar xzf - -C "$TUNE_CACHE"
  echo "cache in: $(du -sh "$TUNE_CACHE" | cut -f1)"
fi
if [ "${BASE:-0}" = 1 ]; then
  ( renice -n 19 "$BASHPID" >/dev/null; build_bench ) &
  ( renice -n 19 "$BASHPID" >/dev/null; export TORCHINDUCTOR_CACHE_DIR=/tmp/igtb-inductor-base
    AOTI_LIMIT_S=560 aoti_packages fp16 "$M/aoti_fp16" detector encoder decoder; wait ) &
fi
# Whether a cached set of timings skips the candidates' compilation too (PyTorch's own code, for the notes).
python3 - >"$OUT/select_algorithm_lookup.txt" 2>&1 <<'EOF'
import inspect, torch._inductor.select_algorithm as s
src = inspect.getsource(s).splitlines()
for i, line in enumerate(src):
    if "lookup(" in line or "def make_precompile_fn" in line or "no_op" in line:
        print(i, line)
EOF
args=()
for c in ${TUNE_CONFIGS:-max_autotune_gemm=True}; do args+=(--inductor-config "$c"); done
start=$(date +%s)
for r in ${TUNE_ROLES:-detector}; do
  left=$(( ${TUNE_LIMIT_S:-480} - ($(date +%s) - start) ))
  [ "$left" -gt 10 ] || { echo "$r: no time left"; break; }
  TORCHINDUCTOR_CACHE_DIR=$TUNE_CACHE timeout "$left" python3 scripts/export_aoti.py \
    --dfine-repo upstream/D-FINE --mobilesam-repo upstream/MobileSAM --out-dir "$TUNED" --precision fp16 \
    --only "$r" --no-checks "${args[@]}" >"$OUT/tune_$r.log" 2>&1
  echo "$r: rc $? after $(( $(date +%s) - start )) s, $(grep -c "^AUTOTUNE" "$OUT/tune_$r.log") ops autotuned"
  grep -h "export_aoti\] [a-z]*: " "$OUT/tune_$r.log" | cut -c1-300
done
[ "${BASE:-0}" = 1 ] && { wait; tail -n 1 "$OUT/cxx_build.log"; grep -h "export_aoti\] [a-z]*: \|Error" "$OUT"/aoti_fp16_*.log | cut -c1-300; }
cp "$TUNED"/*.pt2 "$TUNE_CACHE"/ 2>/dev/null
tar czf /tmp/igtb-tune-cache.tgz -C "$TUNE_CACHE" .
size_mb=$(( $(stat -c %s /tmp/igtb-tune-cache.tgz) / 1048576 ))
if [ "$size_mb" -le "${TUNE_ARCHIVE_MAX_MB:-56}" ]; then
  split -b 15M -d /tmp/igtb-tune-cache.tgz "$RESULTS/tune-cache.tgz."
  ls -la "$RESULTS"/tune-cache.tgz.*
else
  echo "tune cache: $size_mb MiB, over TUNE_ARCHIVE_MAX_MB=${TUNE_ARCHIVE_MAX_MB:-56}: not returned;" \
    "it stays in $TUNE_CACHE on this machine for the next call while the machine is warm"
fi
tar czf "$RESULTS/logs.tgz" -C "$OUT" .
