#!/usr/bin/env bash
# Upstream lost and back, CYCLES times (default 100): the PlusServer stand-in
# is killed with SIGKILL while it streams (often mid-message) and started
# again. Each time igtbridge must reconnect within its backoff cap and resume
# output (new KPI lines); at the end it is still running, with the same
# number of open fds as after the first cycles and bounded RSS growth.
set -euo pipefail
bin=$1
src=$2
cycles=${CYCLES:-100}
tmp=$(mktemp -d)
pids=()
replay=""
cleanup() {
  # The running replay too: left alone it kept the final `wait` (and the test) hanging until ctest's timeout.
  for p in "${pids[@]}" $replay; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  tail -n 5 "$tmp/bridge.err" "$tmp/replay.err" >&2 || true
  exit 1
}

in_port=$((20000 + RANDOM % 20000))
out_port=$((in_port + 1))
"$bin/igtbridge" --config "$src/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
  --set input.reconnect_initial_s=0.05 --set input.reconnect_max_s=0.2 --set "kpi.path=$tmp/kpi.jsonl" \
  --set log.level=warn 2>"$tmp/bridge.err" &
bridge=$!
pids+=($bridge)
"$bin/igtbridge-listen" --port "$out_port" --timeout 3600 >/dev/null 2>"$tmp/listen.err" &
pids+=($!)

# The bridge loads and warms up its models before any socket opens (seconds
# on a loaded 2-core machine): wait for its output port, so that cycle 1's
# 5 s measure the reconnection, not the start-up (cycle 1 failed that way
# three times in one afternoon while other tests ran beside it).
for _ in $(seq 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$out_port") 2>/dev/null && break
  kill -0 "$bridge" 2>/dev/null || fail "igtbridge died at start-up"
  sleep 0.1
done

lines() { [ -f "$tmp/kpi.jsonl" ] && wc -l <"$tmp/kpi.jsonl" || echo 0; }
fds() { ls "/proc/$bridge/fd" | wc -l; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$bridge/status"; }
worst_ms=0
for i in $(seq "$cycles"); do
  before=$(lines)
  start=$(date +%s%N)
  "$bin/igtbridge-replay" "$src/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 60 --loop \
    >/dev/null 2>>"$tmp/replay.err" &
  replay=$!
  ok=0
  for _ in $(seq 250); do
    if [ "$(lines)" -ge $((before + 3)) ]; then ok=1; break; fi
    kill -0 "$replay" 2>/dev/null || fail "cycle $i: igtbridge-replay exited (port $in_port taken?)"
    sleep 0.02
  done
  [ "$ok" = 1 ] || fail "cycle $i: no output within 5 s of the restart"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$ms" -gt "$worst_ms" ] && worst_ms=$ms
  kill -9 "$replay"
  wait "$replay" 2>/dev/null || true
  replay=""
  kill -0 "$bridge" 2>/dev/null || fail "cycle $i: igtbridge died"
  if [ "$i" = 5 ]; then fds5=$(fds); rss5=$(rss_kb); fi
done
sleep 0.5
fds_end=$(fds)
rss_end=$(rss_kb)
growth=$(( rss_end - ${rss5:-$rss_end} ))
echo "upstream churn: $cycles kill -9 / restart cycles, output resumed every time (worst restart -> 3 frames out: $worst_ms ms)"
echo "  fds after cycle 5: ${fds5:-?}, at the end: $fds_end; RSS after cycle 5: ${rss5:-?} kB, at the end: $rss_end kB (growth $growth kB)"
[ "$fds_end" -le "$(( ${fds5:-$fds_end} + 2 ))" ] || fail "fd count grew"
[ "$growth" -le 20480 ] || fail "RSS grew by $growth kB"
echo "apps_upstream_churn: passed"
