#!/usr/bin/env bash
# scripts/soak.sh MINUTES [BUILD_DIR]
# Loopback soak: igtbridge-replay serves the bundled 820x616 recording at 60
# frames/s (looped) to igtbridge (the shipped config: pipeline on, CPU demo
# models) with 8 igtbridge-listen clients attached, for MINUTES minutes.
# Every 10 s it prints igtbridge's RSS and open fds and the frames in/out and
# drops so far; at the end the RSS growth (from the first sample after one
# minute of warm-up, or the first sample for shorter runs), the fd change and
# each client's message count. Exits 1 if igtbridge died, a client starved
# (received nothing in the second half), fds grew, or RSS grew by more than
# SOAK_MAX_RSS_GROWTH_KB (default 5120). Loopback only, bounded in time.
set -euo pipefail
minutes=${1:?usage: scripts/soak.sh MINUTES [BUILD_DIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-${BUILD_DIR:-$root/build}}/apps
max_growth=${SOAK_MAX_RSS_GROWTH_KB:-5120}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${SOAK_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
in_port=$((20000 + RANDOM % 20000))
out_port=$((in_port + 1))
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')

"$bin/igtbridge" --config "$root/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
  --set input.reconnect_max_s=0.2 --set log.summary_interval_s=10 --set "kpi.path=$tmp/kpi.jsonl" 2>"$tmp/bridge.err" &
bridge=$!
pids+=($bridge)
for c in $(seq 8); do
  "$bin/igtbridge-listen" --port "$out_port" --timeout $((2 * seconds + 300)) >"$tmp/client$c.out" 2>&1 &
  pids+=($!)
done
for _ in $(seq 100); do [ "$(grep -c "client .* connected" "$tmp/bridge.err")" -ge 8 ] && break; sleep 0.1; done
"$bin/igtbridge-replay" "$root/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 60 --loop \
  >/dev/null 2>"$tmp/replay.err" &
pids+=($!)

rss() { awk '/VmRSS/ {print $2}' "/proc/$bridge/status"; }
fds() { ls "/proc/$bridge/fd" | wc -l; }
summary() { grep "pipeline:" "$tmp/bridge.err" | tail -1 | sed 's/.*pipeline: //'; }
echo "soak: $minutes min, replay 60 frames/s 820x616 -> igtbridge (pipeline, CPU) -> 8 clients, loopback"
printf "%6s %10s %5s %8s %8s  %s\n" "t (s)" "RSS (kB)" "fds" "in" "out" "last summary"
base_rss="" base_fds="" t=0 half_counts=()
t0=$(date +%s)
while [ "$t" -lt "$seconds" ]; do
  step=$(( seconds - t < 10 ? seconds - t : 10 ))
  sleep "$step"
  t=$(( $(date +%s) - t0 ))
  kill -0 "$bridge" 2>/dev/null || { echo "FAIL: igtbridge died"; tail -20 "$tmp/bridge.err"; exit 1; }
  lines=$(wc -l <"$tmp/kpi.jsonl" 2>/dev/null || echo 0)
  frames_in=$(grep -o '"frame": [0-9]*' "$tmp/kpi.jsonl" 2>/dev/null | tail -1 | grep -o '[0-9]*$' || echo 0)
  dropped=$(tail -1 "$tmp/kpi.jsonl" 2>/dev/null | grep -o '"dropped": [0-9]*' | grep -o '[0-9]*$' || echo 0)
  printf "%6d %10s %5s %8s %8s  %s\n" "$t" "$(rss)" "$(fds)" "$((frames_in + dropped))" "$lines" "$(summary)"
  if [ -z "$base_rss" ] && { [ "$t" -ge 60 ] || [ "$seconds" -le 60 ]; }; then base_rss=$(rss); base_fds=$(fds); fi
  if [ -z "${half_counts[*]:-}" ] && [ "$t" -ge $((seconds / 2)) ]; then
    for c in $(seq 8); do half_counts+=("$(wc -l <"$tmp/client$c.out")"); done
  fi
done
end_rss=$(rss)
end_fds=$(fds)
growth=$((end_rss - base_rss))
status=0
echo "RSS: $base_rss kB -> $end_rss kB (growth $growth kB, limit $max_growth kB); fds: $base_fds -> $end_fds"
for c in $(seq 8); do
  n=$(wc -l <"$tmp/client$c.out")
  echo "  client $c: $n messages (at half time ${half_counts[$((c - 1))]:-?})"
  [ "$n" -gt "${half_counts[$((c - 1))]:-0}" ] || { echo "FAIL: client $c starved in the second half"; status=1; }
done
[ "$end_fds" -le "$base_fds" ] || { echo "FAIL: fds grew"; status=1; }
[ "$growth" -le "$max_growth" ] || { echo "FAIL: RSS grew by $growth kB"; status=1; }
[ "$status" = 0 ] && echo "soak: passed" || echo "soak: FAILED"
exit "$status"
