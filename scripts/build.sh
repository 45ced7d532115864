#!/usr/bin/env bash
# Configures and builds igtbridge into ${BUILD_DIR:-build} (Release, Ninja when present).
# BUILD_TARGETS="a b": only those targets (the demo builds its three programs, not the tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
# Configure when there is no build yet, or when an earlier configure failed (a cache, no build files).
if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
  rm -f "$build/CMakeCache.txt"  # a failed configure's cache (maybe of another generator) starts again
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-}
fi
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" --parallel "${JOBS:-$(nproc)}" "${targets[@]}"
