#!/usr/bin/env bash
# scripts/soak.sh MINUTES [BUILD_DIR]
# Loopback soak: igtbridge-replay serves the bundled 820x616 recording at 60
# frames/s (looped) to igtbridge (the shipped config: pipeline on, CPU demo
# models) with 8 igtbridge-listen clients attached, for MINUTES minutes.
# A warm-up of SOAK_WARMUP_S seconds (default 60) comes first and is not
# measured. Every 10 s it prints igtbridge's RSS and open fds and the frames
# in/out and drops so far; at the end the RSS growth over the measured MINUTES,
# the fd change and each client's message count.
# Stalled clients: at half time SOAK_STALLED (default 4) more clients connect
# and never read. Their queues are bounded (output.queue_messages, messages
# shared with the other clients), so the RSS step when they come (read
# SOAK_STALL_SETTLE_S, default 20 s, after they connect) must stay under
# SOAK_MAX_STALLED_KB (default 8192 per stalled client) and RSS must not grow after it;
# the 8 reading clients' message rate over the second half is compared with
# the quarter before it.
# Exits 1 if igtbridge died, a client starved (received nothing in the second
# half), a reading client's rate fell below SOAK_MIN_RATE_RATIO (default 0.8)
# of its rate before the stalled clients came, fds grew beyond the stalled
# clients' own sockets, RSS grew by more than SOAK_MAX_RSS_GROWTH_KB (default
# 5120) outside the stalled clients' step, or that step was too large.
# Loopback only, bounded in time.
set -euo pipefail
minutes=${1:?usage: scripts/soak.sh MINUTES [BUILD_DIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-${BUILD_DIR:-$root/build}}/apps
max_growth=${SOAK_MAX_RSS_GROWTH_KB:-5120}
stalled=${SOAK_STALLED:-4}
# What the stalled clients may cost: their queues hold messages, not bytes
# (output.queue_messages, 16, up to ~0.5 MB each here, shared with the other
# clients), plus the message each blocked writer holds, plus the heap spread
# around those pinned buffers. Measured for 4 stalled clients on the 2-core
# VM: +2.5 to +16.5 MB, then flat. 8 MB per stalled client.
max_stalled=${SOAK_MAX_STALLED_KB:-$((8192 * stalled))}
# The step is read this long after they connect (their queues fill within
# a second; the heap takes a few samples to settle).
settle_s=${SOAK_STALL_SETTLE_S:-20}
min_ratio=${SOAK_MIN_RATE_RATIO:-0.8}
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
warmup=${SOAK_WARMUP_S:-60}  # before the measured MINUTES: the allocator and the models settle
total=$((warmup + seconds))

"$bin/igtbridge" --config "$root/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
  --set input.reconnect_max_s=0.2 --set log.summary_interval_s=10 --set output.max_clients=$((8 + stalled)) --set "kpi.path=$tmp/kpi.jsonl" 2>"$tmp/bridge.err" &
bridge=$!
pids+=($bridge)
for c in $(seq 8); do
  "$bin/igtbridge-listen" --port "$out_port" --timeout $((2 * total + 300)) >"$tmp/client$c.out" 2>&1 &
  pids+=($!)
done
for _ in $(seq 100); do [ "$(grep -c "client .* connected" "$tmp/bridge.err")" -ge 8 ] && break; sleep 0.1; done
"$bin/igtbridge-replay" "$root/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 60 --loop \
  >/dev/null 2>"$tmp/replay.err" &
pids+=($!)

rss() { awk '/VmRSS/ {print $2}' "/proc/$bridge/status"; }
fds() { ls "/proc/$bridge/fd" | wc -l; }
summary() { grep "pipeline:" "$tmp/bridge.err" | tail -1 | sed 's/.*pipeline: //'; }
echo "soak: $warmup s warm-up + $minutes min, replay 60 frames/s 820x616 -> igtbridge (pipeline, CPU) -> 8 clients, loopback;" \
  "$stalled stalled clients join at half time"
printf "%6s %10s %5s %8s %8s  %s\n" "t (s)" "RSS (kB)" "fds" "in" "out" "last summary"
counts() { for c in $(seq 8); do wc -l <"$tmp/client$c.out"; done | tr '\n' ' '; }
base_rss="" base_fds="" t=0 quarter_t="" quarter_counts="" half_t="" half_counts="" half_rss="" settled_rss=""
t0=$(date +%s)
while [ "$t" -lt "$total" ]; do
  step=$(( total - t < 10 ? total - t : 10 ))
  sleep "$step"
  t=$(( $(date +%s) - t0 ))
  kill -0 "$bridge" 2>/dev/null || { echo "FAIL: igtbridge died"; tail -20 "$tmp/bridge.err"; exit 1; }
  lines=$(wc -l <"$tmp/kpi.jsonl" 2>/dev/null || echo 0)
  frames_in=$(grep -o '"frame": [0-9]*' "$tmp/kpi.jsonl" 2>/dev/null | tail -1 | grep -o '[0-9]*$' || echo 0)
  dropped=$(tail -1 "$tmp/kpi.jsonl" 2>/dev/null | grep -o '"dropped": [0-9]*' | grep -o '[0-9]*$' || echo 0)
  printf "%6d %10s %5s %8s %8s  %s\n" "$t" "$(rss)" "$(fds)" "$((frames_in + dropped))" "$lines" "$(summary)"
  # Baseline at the end of the warm-up; the measured run follows.
  if [ -z "$base_rss" ] && [ "$t" -ge "$warmup" ]; then base_rss=$(rss); base_fds=$(fds); fi
  if [ -z "$quarter_t" ] && [ "$t" -ge $((warmup + seconds / 4)) ]; then quarter_t=$t; quarter_counts=$(counts); fi
  # The sample after the stalled clients came: their queues are full by then.
  if [ -n "$half_t" ] && [ -z "$settled_rss" ] && [ "$t" -ge $((half_t + settle_s)) ]; then settled_rss=$(rss); fi
  if [ -z "$half_t" ] && [ "$t" -ge $((warmup + seconds / 2)) ]; then
    half_t=$t half_counts=$(counts) half_rss=$(rss)
    for _ in $(seq "$stalled"); do
      # Connects and never reads: the bridge's queue for it fills and stays full.
      ( exec 3<>"/dev/tcp/127.0.0.1/$out_port" && exec sleep $((total + 60)) ) 2>/dev/null &
      pids+=($!)
    done
    [ "$stalled" -gt 0 ] && echo "       ($stalled stalled clients connected)"
  fi
done
end_t=$t
end_rss=$(rss)
end_fds=$(fds)
end_counts=$(counts)
settled_rss=${settled_rss:-$end_rss}
step=$((settled_rss - half_rss))
# Growth while running steadily: before the stalled clients, and after their
# queues filled; the step between is what the stalled clients cost (bounded).
growth=$(( (half_rss - base_rss) + (end_rss - settled_rss) ))
status=0
echo "RSS: $base_rss kB -> $half_rss kB at half time, $settled_rss kB once $stalled stalled clients' queues filled" \
  "(+$step kB, limit $max_stalled kB), $end_rss kB at the end; growth outside that step $growth kB (limit $max_growth kB)"
echo "fds: $base_fds -> $end_fds (+$stalled stalled clients' sockets allowed)"
read -r -a q <<<"$quarter_counts"
read -r -a h <<<"$half_counts"
read -r -a e <<<"$end_counts"
for c in $(seq 8); do
  i=$((c - 1))
  before=$(awk -v a="${q[$i]}" -v b="${h[$i]}" -v dt=$((half_t - quarter_t)) 'BEGIN { printf "%.1f", (dt > 0 ? (b - a) / dt : 0) }')
  after=$(awk -v a="${h[$i]}" -v b="${e[$i]}" -v dt=$((end_t - half_t)) 'BEGIN { printf "%.1f", (dt > 0 ? (b - a) / dt : 0) }')
  ratio=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
  echo "  client $c: ${e[$i]} messages (at half time ${h[$i]}); ${before} msg/s before the stalled clients, ${after} msg/s with them (ratio $ratio)"
  [ "${e[$i]}" -gt "${h[$i]}" ] || { echo "FAIL: client $c starved in the second half"; status=1; }
  if [ "$stalled" -gt 0 ] && awk -v r="$ratio" -v m="$min_ratio" 'BEGIN { exit !(r < m) }'; then
    echo "FAIL: client $c slowed to $ratio of its rate with stalled clients attached (limit $min_ratio)"; status=1
  fi
done
[ "$end_fds" -le $((base_fds + stalled)) ] || { echo "FAIL: fds grew"; status=1; }
[ "$growth" -le "$max_growth" ] || { echo "FAIL: RSS grew by $growth kB"; status=1; }
[ "$step" -le "$max_stalled" ] || { echo "FAIL: the stalled clients cost $step kB"; status=1; }
[ "$status" = 0 ] && echo "soak: passed" || echo "soak: FAILED"
exit "$status"
