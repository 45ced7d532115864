# Sourced by the test scripts that run the real programs (tests/bridge/apps_*.sh,
# tests/interop/chain.sh) after they set bin and src: a temporary folder
# ($tmp) removed at exit, the programs started in the background ($pids)
# killed at exit, the time scale of sanitizer builds ($scale, IGTB_TIME_SCALE:
# scripts/sanitize.sh), and fail MESSAGE (the message, the tail of each
# $tmp/*.err, exit 1; a script may define its own after sourcing this).
tmp=$(mktemp -d)
pids=()
scale=${IGTB_TIME_SCALE:-1}
igtb_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap igtb_cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.err; do [ -f "$f" ] && { echo "--- $(basename "$f")" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}
