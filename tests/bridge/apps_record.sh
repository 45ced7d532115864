#!/usr/bin/env bash
# igtbridge --record DIR cut short: by SIGTERM (exit 0 within 1 s, final
# headers, nothing half-written) and by SIGKILL (no chance to clean up). Either
# way each recorded series reads back with igtbridge-replay: the input series
# (Image_Reference) and the label maps (BoneMask), with the frame counts the
# bridge logged (SIGTERM) or at least a second's worth (SIGKILL).
set -euo pipefail
bin=$1
src=$2
source "$src/tests/support/apps_common.sh"  # tmp, pids, scale, fail

# Frames igtbridge-replay reads from a recorded header ("replay: F: N frames of ...").
frames_in() {
  local port=$((20000 + RANDOM % 20000)) log="$tmp/check.err" n=""
  "$bin/igtbridge-replay" "$1" --port "$port" --wait-clients 1 >/dev/null 2>"$log" &
  local p=$!
  for _ in $(seq 100); do
    n=$(sed -n 's/.*: \([0-9]*\) frames of .*/\1/p' "$log" | head -n1)
    [ -n "$n" ] && break
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  [ -n "$n" ] || { cat "$log" >&2; return 1; }
  echo "$n"
}

for sig in TERM KILL; do
  in_port=$((20000 + RANDOM % 20000))
  out_port=$((in_port + 1))
  rec="$tmp/rec_$sig"
  "$bin/igtbridge-replay" "$src/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 30 --loop --wait-clients 1 \
    >/dev/null 2>"$tmp/replay.err" &
  replay=$!
  pids+=($replay)
  "$bin/igtbridge" --config "$src/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
    --set input.reconnect_max_s=0.2 --set "kpi.path=$tmp/kpi.jsonl" --record "$rec" 2>"$tmp/bridge.err" &
  bridge=$!
  pids+=($bridge)
  for _ in $(seq 200); do [ -s "$tmp/kpi.jsonl" ] && [ "$(wc -l <"$tmp/kpi.jsonl")" -ge 40 ] && break; sleep 0.1; done
  [ "$(wc -l <"$tmp/kpi.jsonl")" -ge 40 ] || fail "no frames processed before SIG$sig"
  start=$(date +%s%N)
  kill -s "$sig" "$bridge"
  rc=0
  wait "$bridge" || rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kill "$replay" 2>/dev/null || true
  wait "$replay" 2>/dev/null || true
  if [ "$sig" = TERM ]; then
    [ "$rc" = 0 ] || fail "SIGTERM: exit code $rc"
    [ "$ms" -le 1000 ] || fail "SIGTERM: took $ms ms to exit"
    # Frames the writer could not keep up with are skipped and counted (slow
    # sanitizer builds do skip some); what was written must read back.
    written=$(grep -o 'record: [0-9]* images and [0-9]* label maps written, [0-9]* skipped' "$tmp/bridge.err") \
      || fail "SIGTERM: no 'record: ... written, ... skipped' line"
    want_images=$(echo "$written" | awk '{print $2}')
    want_labels=$(echo "$written" | awk '{print $5}')
    ls "$rec"/*.tmp >/dev/null 2>&1 && fail "SIGTERM: a temporary header was left"
  fi
  images=$(ls "$rec"/*_Image_Reference_001.igs.mhd) || fail "SIG$sig: no Image_Reference series in $rec"
  labels=$(ls "$rec"/*_BoneMask_001.igs.mhd) || fail "SIG$sig: no BoneMask series in $rec"
  [ -f "${images%.mhd}.zraw" ] || fail "SIG$sig: no data file next to $images"
  ni=$(frames_in "$images") || fail "SIG$sig: igtbridge-replay cannot read $images"
  nl=$(frames_in "$labels") || fail "SIG$sig: igtbridge-replay cannot read $labels"
  if [ "$sig" = TERM ]; then
    [ "$want_images" -ge 20 ] || fail "SIGTERM: only $want_images input frames written"
    [ "$ni" = "$want_images" ] || fail "SIGTERM: $ni input frames read back, $want_images written"
    [ "$nl" = "$want_labels" ] || fail "SIGTERM: $nl label maps read back, $want_labels written"
  else
    [ "$ni" -ge 10 ] && [ "$nl" -ge 10 ] || fail "SIGKILL: only $ni input frames and $nl label maps readable"
  fi
  echo "ok   SIG$sig (exit $rc in $ms ms): $ni input frames and $nl label maps read back from $(basename "$images") and $(basename "$labels")"
  rm -f "$tmp/kpi.jsonl"
done
echo "apps_record: all passed"
