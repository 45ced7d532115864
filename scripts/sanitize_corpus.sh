#!/usr/bin/env bash
# Replays every fuzz seed corpus (tests/fuzz/corpus/<target>/) under
# AddressSanitizer + UndefinedBehaviorSanitizer. Builds only the fuzz
# replayers (tests/fuzz, -DIGTB_FUZZ=ON -DIGTB_FUZZ_ONLY=ON: igtb_transport,
# igtb_io, igtb_config; no LibTorch) into ${SANITIZE_BUILD_DIR:-build-asan} with
# GCC (or ${SANITIZE_CXX}, e.g. clang++). Any crash, sanitizer report or
# violated invariant fails (exit 1). Run by scripts/test.sh after ctest; the
# last line says what happened.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$root/build-asan}
cxx=${SANITIZE_CXX:-g++}
cc=${SANITIZE_CC:-$([ "$cxx" = "clang++" ] && echo clang || echo gcc)}
start=$(date +%s)

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DIGTB_FUZZ=ON -DIGTB_FUZZ_ONLY=ON -DIGTB_FUZZ_ENGINE=replay >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; echo "sanitize_corpus: FAILED (cmake configure)"; exit 1; }
fi
if ! cmake --build "$build" --target igtb_fuzz_targets --parallel "${JOBS:-$(nproc)}" >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log"
  echo "sanitize_corpus: FAILED (build)"
  exit 1
fi
built=$(date +%s)

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
asan_default=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
mkdir -p "$build/replay"
targets=(header image transform status string polydata sequence config)
failed=()
total=0
for t in "${targets[@]}"; do
  log="$build/replay/fuzz_$t.log"
  rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-$asan_default} "$build/tests/fuzz/fuzz_$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ] && grep -q 'LeakSanitizer has encountered a fatal error' "$log"; then
    # LSan cannot stop the world in some containers (no ptrace): replay without it.
    echo "sanitize_corpus: fuzz_$t: LeakSanitizer unavailable here, replaying without leak detection"
    rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-$asan_default}:detect_leaks=0 "$build/tests/fuzz/fuzz_$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  fi
  if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
    echo "---- fuzz_$t (exit $rc): $log"
    grep -E '^fuzz_.*: running ' "$log" | tail -n1 || true
    grep -vE '^fuzz_.*: running ' "$log" | head -n 40
    failed+=("$t")
  else
    n=$(sed -n 's/^fuzz_.*: \([0-9]*\) inputs OK$/\1/p' "$log")
    total=$((total + ${n:-0}))
    echo "sanitize_corpus: $(tail -n1 "$log")"
  fi
done
end=$(date +%s)
if [ ${#failed[@]} -gt 0 ]; then
  echo "sanitize_corpus: FAILED: ${failed[*]} (build $((built - start)) s, replay $((end - built)) s; logs in $build/replay/)"
  exit 1
fi
echo "sanitize_corpus: OK: ${#targets[@]} fuzz targets, $total corpus inputs replayed under ASan+UBSan ($cxx; build $((built - start)) s, replay $((end - built)) s)"
