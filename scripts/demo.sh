#!/usr/bin/env bash
# Installs dependencies, builds, then runs the main job on bundled PLUS data:
# igtbridge-replay (a PlusServer stand-in) serves a real ultrasound recording,
# igtbridge relays it (pipeline.enabled: false in config/igtbridge.yaml for now),
# and igtbridge-listen (a Slicer stand-in) prints and saves what arrives.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
bin=${BUILD_DIR:-$root/build}/apps
out=${DEMO_OUT:-$root/out/demo}
in_port=${DEMO_IN_PORT:-18944}
out_port=${DEMO_OUT_PORT:-18945}
recording=$root/tests/data/SpinePhantomFreehand.igs.mha
rm -rf "$out"
mkdir -p "$out"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

echo "== igtbridge (relay) on 127.0.0.1:$out_port, upstream 127.0.0.1:$in_port"
"$bin/igtbridge" --config "$root/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
  --set input.reconnect_max_s=0.5 --set log.summary_interval_s=1 2>"$out/igtbridge.log" &
pids+=($!)

echo "== igtbridge-listen: 21 frames = 21 IMAGE + 63 TRANSFORM, saved under $out/saved"
"$bin/igtbridge-listen" --port "$out_port" --count 84 --timeout 60 --save "$out/saved" | tee "$out/listen.txt" &
listen=$!
pids+=($listen)
for _ in $(seq 100); do grep -q "client .* connected" "$out/igtbridge.log" && break; sleep 0.1; done

echo "== igtbridge-replay $(basename "$recording") at 30 fps on 127.0.0.1:$in_port"
"$bin/igtbridge-replay" "$recording" --port "$in_port" --fps 30 2>"$out/replay.log" &
pids+=($!)

if wait "$listen"; then status=0; else status=$?; fi
sleep 1.2  # one more summary line from the bridge
echo "== igtbridge log"
cat "$out/igtbridge.log"
echo "== replay log"
cat "$out/replay.log"
echo "== saved: $(ls "$out/saved" | wc -l) NRRD files in $out/saved (open one in 3D Slicer)"
[ "$status" = 0 ] && echo "demo: OK" || echo "demo: FAILED (igtbridge-listen exit $status)"
exit "$status"
