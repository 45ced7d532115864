#!/usr/bin/env bash
# Reloading the running daemon, as a user does: igtbridge (segment shape, demo
# model) with --watch-config, frames flowing from the replay to a listener.
#  1. SIGHUP after a reloadable change: the models load again and swap in;
#  2. the file changed to a model that does not exist (seen by the watch): one
#     error line, the running models stay;
#  3. SIGHUP after a change that needs a restart: one warning naming it;
# and through it all frames keep coming, the listener's connection and the
# upstream one stay up, and SIGTERM still ends it with exit 0.
set -euo pipefail
bin=$1
src=$2
source "$src/tests/support/apps_common.sh"  # tmp, pids, scale, fail
wait_for() {  # wait_for PATTERN FILE: up to 20 s (times the scale)
  for _ in $(seq $((200 * scale))); do grep -q "$1" "$2" && return 0; sleep 0.1; done
  fail "no '$1' in $(basename "$2")"
}
kpi_lines() { wc -l <"$tmp/kpi.jsonl"; }
frames_flow() {  # more frames processed within 10 s
  local before
  before=$(kpi_lines)
  for _ in $(seq $((100 * scale))); do [ "$(kpi_lines)" -ge $((before + 5)) ] && return 0; sleep 0.1; done
  fail "frames stopped after: $1"
}

in_port=$((20000 + RANDOM % 20000))
out_port=$((in_port + 1))
write_config() {  # write_config MIN_AREA MODEL OUTPUT_PORT
  cat >"$tmp/bridge.yaml.new" <<YAML
input:
  port: $in_port
  reconnect_max_s: 0.2
output:
  port: $3
pipeline:
  kind: segment
models:
  segmentation: $2
segment:
  min_area: $1
kpi:
  path: $tmp/kpi.jsonl
YAML
  mv "$tmp/bridge.yaml.new" "$tmp/bridge.yaml"  # whole, as an editor saves it
}
write_config 20 demo "$out_port"

"$bin/igtbridge-replay" "$src/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 20 --loop \
  --wait-clients 1 >/dev/null 2>"$tmp/replay.err" &
pids+=($!)
"$bin/igtbridge" --config "$tmp/bridge.yaml" --watch-config 2>"$tmp/bridge.err" &
bridge=$!
pids+=($bridge)
"$bin/igtbridge-listen" --port "$out_port" --timeout 120 >/dev/null 2>"$tmp/listen.err" &
pids+=($!)
for _ in $(seq $((200 * scale))); do [ -s "$tmp/kpi.jsonl" ] && [ "$(kpi_lines)" -ge 10 ] && break; sleep 0.1; done
[ "$(kpi_lines)" -ge 10 ] || fail "no frames processed"

# 1. A reloadable change, then SIGHUP.
sleep 1.1  # the file's next version must differ in time too, for the watch
write_config 200 demo "$out_port"
kill -HUP "$bridge"
wait_for "reload: models loaded and warmed up .*changed: segment.min_area" "$tmp/bridge.err"
wait_for "reloaded models in use from this frame on" "$tmp/bridge.err"
frames_flow "the first reload"

# 2. A model that does not exist, seen by --watch-config alone.
sleep 1.1
write_config 200 /nonexistent/unet.pt "$out_port"
wait_for "reload: models: /nonexistent/unet.pt: segmentation model file not found; the running models stay" \
  "$tmp/bridge.err"
frames_flow "the failed reload"

# 3. A key that needs a restart.
sleep 1.1
write_config 200 demo $((out_port + 7))
kill -HUP "$bridge"
wait_for "reload: output.port changed but needs a restart; running with the old value" "$tmp/bridge.err"
frames_flow "the third reload"
[ "$(grep -c 'reloaded models in use' "$tmp/bridge.err")" -ge 2 ] || fail "the third reload did not swap its models in"

# The connections stayed up the whole time.
[ "$(grep -c 'output: client .* connected' "$tmp/bridge.err")" = 1 ] || fail "the listener reconnected"
! grep -q "output: client .* closed" "$tmp/bridge.err" || fail "the listener's connection closed"
! grep -q "upstream .*: connection lost" "$tmp/bridge.err" || fail "the upstream connection was lost"
[ "$(grep -c 'reload: models:' "$tmp/bridge.err")" = 1 ] || fail "the failed reload was not said exactly once"
grep -q '"failed": true' "$tmp/kpi.jsonl" && fail "a frame failed"
kill -TERM "$bridge"
rc=0
wait "$bridge" || rc=$?
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
echo "apps_reload: OK ($(kpi_lines) frames, 3 reloads: swapped, kept after a bad model, restart key named)"
