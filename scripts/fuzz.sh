#!/usr/bin/env bash
# Fuzzes the parsers that take bytes from outside with libFuzzer (clang,
# ASan + UBSan): scripts/fuzz.sh SECONDS [TARGET...]
#
# TARGETs: header image transform status string polydata sequence config
# (default: all; "fuzz_" prefixes are accepted). Each runs SECONDS on a copy of
# its seed corpus (tests/fuzz/corpus/<target> -> build-fuzz/corpus/<target>, so
# new entries never land in the repository); crashes go to
# build-fuzz/crashes/<target>/. Environment: FUZZ_BUILD_DIR (default build-fuzz),
# FUZZ_JOBS (parallel targets, default 1), FUZZ_ARGS (extra libFuzzer flags, e.g.
# "-fork=2 -ignore_timeouts=1" to go on past a known hang).
# Exit status 1 when any target found something.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
all=(header image transform status string polydata sequence config)

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]   (targets: ${all[*]})" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for i in "${!targets[@]}"; do
  targets[$i]=${targets[$i]#fuzz_}
  [ -d "$root/tests/fuzz/corpus/${targets[$i]}" ] || { echo "fuzz: unknown target ${targets[$i]}" >&2; exit 2; }
done

# --- clang + libFuzzer ------------------------------------------------------
"$root/scripts/setup.sh"   # the libraries the targets link (OpenIGTLink, yaml-cpp, zlib, spdlog, ...)
need=()
command -v clang++ >/dev/null 2>&1 || need+=(clang)
fuzzer_lib() { find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null | head -n1; }
[ -n "$(fuzzer_lib)" ] || need+=(libclang-rt-14-dev)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "fuzz: missing ${need[*]}; run as root or install them" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  echo "fuzz: installing ${need[*]}"
  apt-get install -y -q --no-install-recommends "${need[@]}" || { apt-get update -q; apt-get install -y -q --no-install-recommends "${need[@]}"; }
fi

# --- build ------------------------------------------------------------------
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DIGTB_FUZZ=ON -DIGTB_FUZZ_ONLY=ON -DIGTB_FUZZ_ENGINE=libfuzzer >/dev/null
fi
cmake --build "$build" --target igtb_fuzz_targets --parallel "${JOBS:-$(nproc)}"

# --- run ----------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_one() {
  local t=$1 bin="$build/tests/fuzz/fuzz_$1" corpus="$build/corpus/$1" crashes="$build/crashes/$1" log="$build/logs/fuzz_$1.log"
  mkdir -p "$corpus" "$crashes" "$build/logs"
  cp -n "$root/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
  local rc=0
  # -rss_limit_mb / -malloc_limit_mb: an input that makes a parser allocate
  # more than 2 GB is a finding too (a hostile peer must not get that).
  "$bin" "$corpus" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2560 -malloc_limit_mb=2048 -artifact_prefix="$crashes/" ${FUZZ_ARGS:-} >"$log" 2>&1 || rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n1 | grep -o '[0-9]*$' || true)
  # -fork=N (FUZZ_ARGS) prints no final stats: take the last progress line's count.
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -n1 | tr -d '#' || true)
  local found
  found=$(find "$crashes" -type f | wc -l)
  if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
    printf 'fuzz_%-10s %12s execs  %6s corpus  nothing found\n' "$t" "${execs:-?}" "$(ls "$corpus" | wc -l)"
  else
    printf 'fuzz_%-10s %12s execs  %6s corpus  FOUND (exit %s, %s file(s) in %s; log %s)\n' "$t" "${execs:-?}" \
      "$(ls "$corpus" | wc -l)" "$rc" "$found" "$crashes" "$log"
    grep -m3 -E 'ERROR: |runtime error|invariant violated|Assertion|uncaught exception|terminate called' "$log" | sed 's/^/    /' || true
    return 1
  fi
}

status=0
jobs=${FUZZ_JOBS:-1}
mkdir -p "$build/logs"
if [ "$jobs" -le 1 ]; then
  for t in "${targets[@]}"; do run_one "$t" || status=1; done
else
  for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    { rc=0; run_one "$t" >"$build/logs/summary_$t.txt" || rc=$?; echo $rc >"$build/logs/summary_$t.rc"; } &
  done
  wait
  for t in "${targets[@]}"; do
    cat "$build/logs/summary_$t.txt"
    [ "$(cat "$build/logs/summary_$t.rc")" = 0 ] || status=1
  done
fi
[ $status -eq 0 ] && echo "fuzz: ${#targets[@]} target(s), ${seconds} s each: nothing found" \
                 || echo "fuzz: FINDINGS: see $build/crashes/ and $build/logs/"
exit $status
