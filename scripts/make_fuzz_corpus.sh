#!/usr/bin/env bash
# Regenerates the generated seeds of tests/fuzz/corpus/ with
# tests/fuzz/make_corpus.cpp (real messages encoded by the project's encoders
# from frames of the bundled recordings, the small test files, config
# variants). Hand-kept seeds (regress_*: inputs of past findings) stay.
# Builds in ${CORPUS_BUILD_DIR:-build-fuzz-corpus} (no LibTorch needed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CORPUS_BUILD_DIR:-$root/build-fuzz-corpus}
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DIGTB_FUZZ=ON -DIGTB_FUZZ_ONLY=ON -DIGTB_FUZZ_ENGINE=replay >/dev/null
cmake --build "$build" --target igtb_fuzz_make_corpus --parallel "${JOBS:-$(nproc)}"
"$build/tests/fuzz/igtb_fuzz_make_corpus" "$root" "$root/tests/fuzz/corpus"
du -sb "$root/tests/fuzz/corpus"
