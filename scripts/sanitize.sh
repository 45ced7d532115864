#!/usr/bin/env bash
# scripts/sanitize.sh asan|tsan
# Builds everything with a sanitizer and runs the unit and loopback tests
# (ctest without the `gpu`, `packaging` and `paced` labels; `paced`: streams
# at 10-60 frames/s through the CPU pipeline with real-time limits, which the
# pipeline cannot meet at sanitizer speed; SANITIZE_EXCLUDE overrides) under it:
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer -> ${SANITIZE_BUILD_DIR:-build-san-asan}
#   tsan  ThreadSanitizer                                -> ${SANITIZE_BUILD_DIR:-build-san-tsan}
# GCC by default (SANITIZE_CXX=clang++ for clang). A unity build (CMake's
# CMAKE_UNITY_BUILD: a target's sources compiled in batches of 8, LibTorch's
# headers parsed once a batch): the instrumentation is the same, the build
# takes less time; the plain build (scripts/build.sh) still compiles each source alone. Any sanitizer report fails
# the run: the runtimes abort on the first report (halt_on_error / abort), and
# the logs are searched for reports as well. LibTorch itself is not
# instrumented; LibTorch's OpenMP pool is kept to one thread under TSan
# (OMP_NUM_THREADS=1: TSan cannot see libgomp's synchronisation), which the
# tests do not depend on. Extra ctest arguments: CTEST_ARGS. Run by
# scripts/test.sh (SKIP_SANITIZE=1 skips it); the last line says what happened.
set -euo pipefail
mode=${1:?usage: scripts/sanitize.sh asan|tsan}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$mode" in
  asan)
    san="address,undefined"
    flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
    # LeakSanitizer off: LibTorch keeps allocations for the life of the process
    # (its operator registry, thread pools) and reports them at exit.
    # The parsers' leak checking runs in scripts/sanitize_corpus.sh.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0:strict_init_order=1:detect_stack_use_after_return=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    # The CPU pipeline runs ~20x slower (LibTorch's large buffers through ASan's
    # allocator): paced tests slow their streams and widen their time limits.
    export IGTB_TIME_SCALE=${IGTB_TIME_SCALE:-10}
    jobs=$(nproc)
    ;;
  tsan)
    san="thread"
    flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=thread"
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:exitcode=66:suppressions=$root/tests/tsan.supp}
    export OMP_NUM_THREADS=1
    export IGTB_TIME_SCALE=${IGTB_TIME_SCALE:-3}
    jobs=1
    ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan" >&2; exit 2 ;;
esac
build=${SANITIZE_BUILD_DIR:-$root/build-san-$mode}
cxx=${SANITIZE_CXX:-g++}
cc=${SANITIZE_CC:-$([ "$cxx" = "clang++" ] && echo clang || echo gcc)}
start=$(date +%s)

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$san" -DIGTB_GPU_TESTS=OFF -DCMAKE_UNITY_BUILD=ON >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; echo "sanitize $mode: FAILED (cmake configure)"; exit 1; }
fi
if ! cmake --build "$build" --parallel "${JOBS:-$(nproc)}" >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log"
  echo "sanitize $mode: FAILED (build)"
  exit 1
fi
built=$(date +%s)

log="$build/ctest.log"
rc=0
# ASan: two at a time by default (CTEST_JOBS; 161 -> 115 s on 2 cores): most of these tests wait
# on sockets and child processes, and none left in here is paced by the clock. TSan: one (its
# tests are CPU-bound; two at a time took longer).
(cd "$build" && ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-$jobs}" \
  -LE "${SANITIZE_EXCLUDE:-gpu|packaging|paced}" ${CTEST_ARGS:-}) >"$log" 2>&1 || rc=$?
end=$(date +%s)
reports=$(grep -cE '^(==[0-9]+==ERROR: AddressSanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread|UndefinedBehavior)Sanitizer)|runtime error:' "$log" || true)
if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ]; then
  grep -E 'tests passed|tests failed|\*\*\*Failed|\(Failed\)|Timeout' "$log" || true
  grep -nE -A 30 'ThreadSanitizer|AddressSanitizer|runtime error:' "$log" | head -n 120 || true
  echo "sanitize $mode: FAILED (ctest exit $rc, $reports sanitizer reports; log $log)"
  exit 1
fi
summary=$(grep -E 'tests passed' "$log" | tail -n1)
echo "sanitize $mode: OK: $summary (ctest -LE ${SANITIZE_EXCLUDE:-gpu|packaging|paced} under $san, $cxx; build $((built - start)) s, tests $((end - built)) s)"
