#!/usr/bin/env bash
# The monitoring endpoint as its users meet it: igtbridge (demo models, CPU)
# between the replay and a listener, with http.port set; then
#  1. /healthz, /metrics (through the Prometheus client's parser), /events and
#     /overlay.png, checked by tests/bridge/check_monitoring.py;
#  2. the dashboard in headless Chromium: charts fed, the overlay picture not
#     blank, a screenshot saved as <build>/out/dashboard.png (skipped, exit 77,
#     where Chromium is missing);
#  3. the upstream stopped: /healthz turns 503 after health.upstream_timeout_s;
#  4. SIGTERM: exit 0, the endpoint closed;
# and through it all, systemd's notifications (a socket standing in for
# $NOTIFY_SOCKET): READY=1, WATCHDOG=1 every WatchdogSec/4, STOPPING=1.
set -euo pipefail
bin=$1
src=$2
shots=${3:-$bin/../out}
py=${4:-python3}  # Debian's, with python3-prometheus-client
source "$src/tests/support/apps_common.sh"  # tmp, pids, scale, fail

in_port=$((20000 + RANDOM % 20000))
out_port=$((in_port + 1))
http_port=$((in_port + 2))
cat >"$tmp/bridge.yaml" <<YAML
input:
  port: $in_port
  reconnect_max_s: 0.2
output:
  port: $out_port
http:
  port: $http_port
  overlay_fps: 4
health:
  upstream_timeout_s: 2
kpi:
  path: $tmp/kpi.jsonl
YAML
"$bin/igtbridge-replay" "$src/tests/data/SpinePhantomFreehand.igs.mha" --port "$in_port" --fps 15 --loop \
  --wait-clients 1 >/dev/null 2>"$tmp/replay.err" &
replay=$!
pids+=($replay)
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'a') as f:
    while True:
        f.write(s.recv(4096).decode() + '\\n')
        f.flush()
" "$tmp/notify.sock" "$tmp/notify.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=400000 "$bin/igtbridge" --config "$tmp/bridge.yaml" 2>"$tmp/bridge.err" &
bridge=$!
pids+=($bridge)
"$bin/igtbridge-listen" --port "$out_port" --timeout 300 >/dev/null 2>"$tmp/listen.err" &
pids+=($!)
url=http://127.0.0.1:$http_port
for _ in $(seq $((300 * scale))); do [ -s "$tmp/kpi.jsonl" ] && [ "$(wc -l <"$tmp/kpi.jsonl")" -ge 10 ] && break; sleep 0.1; done
[ "$(wc -l <"$tmp/kpi.jsonl")" -ge 10 ] || fail "no frames processed"
grep -q "http: monitoring on $url/" "$tmp/bridge.err" || fail "no start-up line naming the endpoint"

"$py" "$src/tests/bridge/check_monitoring.py" endpoint "$url" || fail "the endpoint check"
browser=0
"$py" "$src/tests/bridge/check_monitoring.py" browser "$url" "$shots/dashboard.png" || browser=$?
[ "$browser" = 0 ] || [ "$browser" = 77 ] || fail "the dashboard check in Chromium"

# The upstream gone: unhealthy once health.upstream_timeout_s (2 s) has passed, with the reason.
kill -TERM "$replay"
code=
for _ in $(seq $((100 * scale))); do
  code=$(python3 -c "import sys,urllib.request,urllib.error
try: print(urllib.request.urlopen('$url/healthz', timeout=5).status)
except urllib.error.HTTPError as e: print(e.code, e.read().decode().strip())" || true)
  case $code in 503*) break ;; esac
  sleep 0.1
done
case $code in 503*"upstream (PlusServer) lost"*) echo "ok   upstream gone: /healthz $code" ;; *) fail "/healthz did not turn 503 with the upstream gone: $code" ;; esac
grep -q "health: unhealthy: upstream (PlusServer) lost" "$tmp/bridge.err" || fail "no log line for the health change"

kill -TERM "$bridge"
rc=0
wait "$bridge" || rc=$?
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
python3 -c "import urllib.request; urllib.request.urlopen('$url/healthz', timeout=2)" 2>/dev/null && fail "the endpoint still answers after exit"
sleep 0.2
[ "$(head -n 1 "$tmp/notify.log")" = READY=1 ] || fail "systemd: no READY=1 first: $(head -n 3 "$tmp/notify.log")"
pings=$(grep -c '^WATCHDOG=1$' "$tmp/notify.log" || true)
[ "$pings" -ge 10 ] || fail "systemd: $pings watchdog pings"
[ "$(tail -n 1 "$tmp/notify.log")" = STOPPING=1 ] || fail "systemd: no STOPPING=1 last"
echo "ok   systemd notifications: READY=1, $pings x WATCHDOG=1 (WatchdogSec 0.4 s), STOPPING=1"
echo "apps_monitoring: OK ($(wc -l <"$tmp/kpi.jsonl") frames$([ "$browser" = 77 ] && echo ', browser check skipped: no Chromium'))"
[ "$browser" = 0 ] || exit 77
