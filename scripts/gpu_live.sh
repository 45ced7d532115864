#!/usr/bin/env bash
# A live run on loopback: igtbridge-replay (the bundled recording, looped) ->
# igtbridge -> igtbridge-listen, then the KPI file summed up: frames
# processed, dropped and failed, the first frame's time and e2e (IMAGE fully
# received to label map written) from frame 11 on.
#   scripts/gpu_live.sh OUTDIR [--set key=value ...]
# Env: BUILD (default build-gpu), FPS (30), FRAMES (300), PORT (28944; the
# output port is PORT+1), SAVE_DIR (the listener saves every message there,
# for scripts/parity.py). Built for the GPU machine (models.device=cuda comes
# first, so a later --set models.device=cpu overrides it); runs anywhere the
# apps are built. Exit status: igtbridge's, or 1 when no frame was processed.
set -uo pipefail
out=${1:?usage: gpu_live.sh OUTDIR [--set key=value ...]}
shift
B=${BUILD:-build-gpu}/apps
port=${PORT:-28944}
mkdir -p "$out"
bridge="" listen="" replay=""
# A timeout (TERM) or Ctrl-C ends the three apps too, so that none keeps the ports for the next run.
trap 'kill $bridge $listen $replay 2>/dev/null; exit 143' TERM INT
"$B/igtbridge" --config config/igtbridge.yaml --set models.device=cuda --set "input.port=$port" \
  --set "output.port=$((port + 1))" --set log.summary_interval_s=2 --set "kpi.path=$out/kpi.jsonl" "$@" \
  2>"$out/bridge.log" &
bridge=$!
save=()
[ -n "${SAVE_DIR:-}" ] && save=(--save "$SAVE_DIR")
"$B/igtbridge-listen" --port "$((port + 1))" --idle 3 --timeout 120 "${save[@]}" >"$out/listen.txt" &
listen=$!
for _ in $(seq 1200); do  # up to 120 s: models load and warm up before the sockets open
  grep -q "client .* connected" "$out/bridge.log" && break
  kill -0 "$bridge" 2>/dev/null || break
  sleep 0.1
done
"$B/igtbridge-replay" tests/data/SpinePhantomFreehand.igs.mha --port "$port" --fps "${FPS:-30}" --loop \
  --count "${FRAMES:-300}" 2>"$out/replay.log" &
replay=$!
while kill -0 "$replay" 2>/dev/null; do  # a bridge that died (bad config, failed load) never takes the frames
  kill -0 "$bridge" 2>/dev/null || { kill "$replay" "$listen" 2>/dev/null; break; }  # listen waits for its port
  sleep 0.2
done
wait "$replay"
sleep 2  # the last frames' outputs (the bridge's status messages never let the listener go idle)
kill -INT "$bridge" 2>/dev/null
wait "$bridge"
rc=$?
wait "$listen"  # ends when the bridge closes its port
echo "live run (igtbridge exit $rc):"
grep -E "models on|stopped:|error|warn" "$out/bridge.log" | cut -c1-300
python3 - "$out/kpi.jsonl" <<'PY' || rc=1
import json, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
except OSError as e:
    rows = []
if not rows:
    print("live: no frame processed")
    sys.exit(1)
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]
e = [r["e2e_ms"] for r in rows]
s = e[10:] or e
print("live: %d processed, %d dropped busy, %d failed; first frame %.1f ms; e2e from frame 11: "
      "p50 %.2f p95 %.2f p99 %.2f max %.2f ms" % (len(rows), rows[-1]["dropped"], sum(bool(r["failed"]) for r in rows),
                                                  e[0], pct(s, .5), pct(s, .95), pct(s, .99), max(s)))
PY
exit "$rc"
