# Sourced by the GPU machine's scripts (gpu_aoti.sh, gpu_precision.sh): the
# common start, the AOTInductor packages compiled in parallel (aoti_packages)
# and the benchmark alone built (build_bench).
# Needs $OUT; sets M (the models folder, $MODELS or /tmp/igtb-models) and
# FRAMES; sources .gpu/device-env.sh (log in $OUT/env.log).
: "${OUT:?set OUT to the result folder}"
M=${MODELS:-/tmp/igtb-models}
FRAMES=${FRAMES:-200}
mkdir -p "$M"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
source .gpu/device-env.sh >"$OUT/env.log" 2>&1

# aoti_packages PRECISION DIR ROLE...: one background export_aoti.py per role (Inductor takes minutes
# each), log $OUT/aoti_PRECISION_ROLE[_TAG].log; `wait` for them. AOTI_ARGS: more export_aoti.py
# arguments (e.g. "--inductor-config max_autotune=True"), AOTI_TAG: a log name suffix for them.
aoti_packages() {
  local p=$1 dir=$2 r
  shift 2
  for r in "$@"; do
    # shellcheck disable=SC2086  # AOTI_ARGS is a list of words
    timeout "${AOTI_LIMIT_S:-300}" python3 scripts/export_aoti.py --dfine-repo upstream/D-FINE \
      --mobilesam-repo upstream/MobileSAM --out-dir "$dir" --precision "$p" --only "$r" --no-checks \
      ${AOTI_ARGS:-} >"$OUT/aoti_${p}_$r${AOTI_TAG:+_$AOTI_TAG}.log" 2>&1 &
  done
}

# variant_args KEY=VALUE[,KEY=VALUE...]: export_aoti.py's arguments for a variant's options (sdpa=B is
# --sdpa B, the attention backend; only=... picks the roles (variant_roles); any other key an
# --inductor-config).
variant_args() {
  tr ',' '\n' <<<"$1" | grep -v '^only=' | sed -e 's/^sdpa=/--sdpa /' -e 's/^\([^-]\)/--inductor-config \1/' | tr '\n' ' '
}

# variant_roles KEY=VALUE[,...]: the roles a variant exports again: those of only=ROLE[+ROLE...]
# (e.g. only=decoder), else the detector and encoder, and the decoder too with sdpa=.
variant_roles() {
  local only
  only=$(tr ',' '\n' <<<"$1" | sed -n 's/^only=//p')
  if [ -n "$only" ]; then tr '+' ' ' <<<"$only"
  else case "$1" in *sdpa=*) echo "detector encoder decoder" ;; *) echo "detector encoder" ;; esac
  fi
}

# run_line FILE: an igtbridge-bench pipeline output's key lines (e2e, frames/s, kernels, streams, timed
# replays, errors) on one line.
run_line() {
  grep -E "^ *e2e |sustained:|kernels:|^ *stream |replays timed|error" "$1" | tr -s ' ' | cut -c1-140 | paste -sd'|'
}

# timeline TAG FRAMES LINES: scripts/kernel_timeline.py on $OUT/trace_TAG.csv (trace.csv where TAG is
# empty), FRAMES frames, into timeline_TAG.txt and frame_TAG.txt (the median frame); shows its first LINES
# lines. Nothing where the trace is missing or empty.
timeline() {
  local s=${1:+_$1}
  [ -s "$OUT/trace$s.csv" ] && python3 scripts/kernel_timeline.py "$OUT/trace$s.csv" --frames "$2" \
    --dump "$OUT/frame$s.txt" >"$OUT/timeline$s.txt" && head -n "$3" "$OUT/timeline$s.txt"
}

# set_args KEY=VALUE[,KEY=VALUE...]: --set arguments for those settings.
set_args() {
  local kv
  for kv in $(tr ',' ' ' <<<"$1"); do printf -- '--set %s ' "$kv"; done
}

# median_e2e FILE...: the median of the e2e p50 (ms) of igtbridge-bench pipeline outputs.
median_e2e() {
  awk '$1 == "e2e" { print $2; nextfile }' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# variant_models DIR: --set arguments for each role DIR has a package of (the others stay the defaults).
variant_models() {
  local r
  for r in detector encoder decoder; do [ -f "$1/$r.pt2" ] && printf -- '--set models.%s=%s ' "$r" "$1/$r.pt2"; done
}

# build_bench [SOURCE_DIR [BUILD_DIR [LOG]]]: igtbridge-bench alone (no tests) from SOURCE_DIR
# (default .) into BUILD_DIR (default build-gpu), log LOG (default $OUT/cxx_build.log).
build_bench() {
  local src=${1:-.} dir=${2:-build-gpu}
  # shellcheck disable=SC2086  # GPU_CMAKE_ARGS is a list of words
  (cmake -S "$src" -B "$dir" -G Ninja $GPU_CMAKE_ARGS -DIGTB_BUILD_TESTS=OFF &&
    cmake --build "$dir" -j "$(nproc)" --target igtbridge-bench) >"${3:-$OUT/cxx_build.log}" 2>&1
}
