#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test with ctest; then replays
# the fuzz seed corpora under ASan + UBSan (scripts/sanitize_corpus.sh, its own
# build in build-asan; SKIP_SANITIZE=1 skips it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 600 ${CTEST_ARGS:-}
if [ "${SKIP_SANITIZE:-0}" != 1 ]; then
  echo "test: ctest passed; replaying the fuzz corpora under ASan + UBSan (scripts/sanitize_corpus.sh)"
  "$root/scripts/sanitize_corpus.sh"
fi
