#!/usr/bin/env bash
# SIGTERM (and SIGINT) while frames flow through the pipeline: igtbridge exits
# 0 within 1 s (times IGTB_TIME_SCALE under sanitizers), its KPI file ends with a complete line, and its ports are free.
set -euo pipefail
bin=$1
src=$2
source "$src/tests/support/apps_common.sh"  # tmp, pids, scale, fail

for sig in TERM INT; do
  in_port=$((20000 + RANDOM % 20000))
  out_port=$((in_port + 1))
  "$bin/igtbridge-replay" "$src/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 30 --loop --wait-clients 1 \
    >/dev/null 2>"$tmp/replay.err" &
  replay=$!
  pids+=($replay)
  "$bin/igtbridge" --config "$src/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
    --set input.reconnect_max_s=0.2 --set "kpi.path=$tmp/kpi.jsonl" 2>"$tmp/bridge.err" &
  bridge=$!
  pids+=($bridge)
  "$bin/igtbridge-listen" --port "$out_port" --timeout 30 >/dev/null 2>"$tmp/listen.err" &
  pids+=($!)
  for _ in $(seq $((100 * scale))); do [ -s "$tmp/kpi.jsonl" ] && [ "$(wc -l <"$tmp/kpi.jsonl")" -ge 10 ] && break; sleep 0.1; done
  [ "$(wc -l <"$tmp/kpi.jsonl")" -ge 10 ] || fail "no frames processed before SIG$sig"
  start=$(date +%s%N)
  kill -s "$sig" "$bridge"
  rc=0
  wait "$bridge" || rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$rc" = 0 ] || fail "SIG$sig: exit code $rc"
  [ "$ms" -le $((1000 * scale)) ] || fail "SIG$sig: took $ms ms to exit (limit $((1000 * scale)) ms)"
  [ -z "$(tail -c 1 "$tmp/kpi.jsonl")" ] || fail "SIG$sig: the KPI file ends mid-line"
  bad=$(grep -cv '^{.*}$' "$tmp/kpi.jsonl" || true)
  [ "$bad" = 0 ] || fail "SIG$sig: $bad incomplete KPI lines"
  (echo >"/dev/tcp/127.0.0.1/$out_port") 2>/dev/null && fail "SIG$sig: output port still open"
  echo "ok   SIG$sig: exit 0 in $ms ms, $(wc -l <"$tmp/kpi.jsonl") complete KPI lines, output port closed"
  kill "$replay" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$tmp/kpi.jsonl"
done
echo "apps_shutdown: all passed"
