#!/usr/bin/env bash
# igtbridge-replay -> igtbridge (relay, from the shipped YAML) -> igtbridge-listen,
# as separate processes on loopback: the listener must get every frame of the
# recording (IMAGE + TRANSFORMs), save the IMAGEs as NRRD, and exit 0.
set -euo pipefail
bin=$1
src=$2
source "$src/tests/support/apps_common.sh"  # tmp, pids, scale, fail
fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.err "$tmp"/*.out; do echo "--- $f" >&2; tail -20 "$f" >&2; done
  exit 1
}

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}
in_port=$(free_port)
out_port=$(free_port)
[ "$in_port" != "$out_port" ] || out_port=$((out_port + 1))

"$bin/igtbridge" --config "$src/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
  --set input.reconnect_max_s=0.2 --set pipeline.enabled=false >"$tmp/bridge.out" 2>"$tmp/bridge.err" &
pids+=($!)

# 21 frames x (1 IMAGE + 3 TRANSFORM) = 84 messages.
"$bin/igtbridge-listen" --port "$out_port" --count 84 --timeout 60 --save "$tmp/saved" >"$tmp/listen.out" 2>"$tmp/listen.err" &
listen_pid=$!
pids+=($listen_pid)

for _ in $(seq 100); do
  grep -q "client .* connected" "$tmp/bridge.err" && break
  sleep 0.1
done
grep -q "client .* connected" "$tmp/bridge.err" || fail "listener never reached the bridge"

"$bin/igtbridge-replay" "$src/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 50 \
  >"$tmp/replay.out" 2>"$tmp/replay.err" &
pids+=($!)

wait "$listen_pid" || fail "igtbridge-listen exited $?"
images=$(grep -c "^IMAGE 'Image_Reference' .* 820x616x1 uint8 x1 spacing 1 1 1 centre 409.5 307.5 0" "$tmp/listen.out" || true)
transforms=$(grep -c "^TRANSFORM 'ProbeToTracker'" "$tmp/listen.out" || true)
[ "$images" = 21 ] || fail "expected 21 IMAGE lines, got $images"
[ "$transforms" = 21 ] || fail "expected 21 ProbeToTracker TRANSFORM lines, got $transforms"
saved=$(ls "$tmp/saved"/*.nrrd | wc -l)
[ "$saved" = 21 ] || fail "expected 21 saved .nrrd files, got $saved"
grep -q "^sizes: 820 616 1" "$(ls "$tmp/saved"/*.nrrd | head -1)" || fail "saved NRRD lacks its sizes"
echo "apps loopback: 21 IMAGE + 63 TRANSFORM through replay -> igtbridge -> listen, 21 NRRD saved"
