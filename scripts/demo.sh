#!/usr/bin/env bash
# Installs dependencies, builds, then runs the main job on bundled PLUS data:
# igtbridge-replay (a PlusServer stand-in) serves a real ultrasound recording
# (SpinePhantomFreehand, 820x616, 21 frames) at 15 frames/s (DEMO_FPS), igtbridge runs the
# whole pipeline on the CPU with the demo models (config/igtbridge.yaml as
# shipped), and igtbridge-listen (a Slicer stand-in) checks and saves what
# arrives: the forwarded image, the BoneMask label map, the BoneContour
# contours and the BoneMaskState JSON. Then scripts/demo_report.py draws
# overlays of a few frames and the latency histogram (PNG) from the saved
# messages and the KPI file, and prints frames, drops, fps and p50/p99.
# DEMO_KIND=segment runs the other pipeline shape instead (pipeline.kind:
# segment, docs/segment.md): the demo semantic network, a hand-set
# bone-surface filter, with the probability map sent as BoneProbability.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# The report's plotting comes from Debian too (only the demo needs it).
if ! /usr/bin/python3 -c "import numpy, matplotlib" 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy python3-matplotlib >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy python3-matplotlib >/dev/null; }
fi
demo_targets="igtbridge igtbridge-replay igtbridge-listen"
if [ -x "${BUILD_DIR:-$root/build}/apps/igtbridge" ]; then
  echo "demo: building $demo_targets (up to date: seconds)"
else
  echo "demo: building $demo_targets, once: about 8 minutes on 2 cores (the tests are built by scripts/test.sh)"
fi
BUILD_TARGETS=$demo_targets "$root/scripts/build.sh"
bin=${BUILD_DIR:-$root/build}/apps
out=${DEMO_OUT:-$root/out/demo}
in_port=${DEMO_IN_PORT:-18944}
out_port=${DEMO_OUT_PORT:-18945}
recording=$root/tests/data/SpinePhantomFreehand.igs.mha
frames=21
# The demo models take ~30 ms a frame on 2 CPU cores with the replay and the
# saving listener beside them (2026-12-06, 80f90e8: 21 of 21 frames at 15
# frames/s, 19 of 21 at 30): at 15 frames/s every frame is processed (a demo
# of the pipeline, not of drops). DEMO_FPS changes it.
fps=${DEMO_FPS:-15}
kind=${DEMO_KIND:-detect_segment}
case "$kind" in
  detect_segment) kind_args=(); caption="demo models: bright-echo regions, not a trained bone model" ;;
  segment) kind_args=(--set pipeline.kind=segment --set output.probability_device=BoneProbability
                     --set output.label_values=track)
           caption="demo segmentation model: bright reflection over an acoustic shadow, hand-set, not trained" ;;
  *) echo "demo: DEMO_KIND must be detect_segment or segment, got '$kind'" >&2; exit 2 ;;
esac
rm -rf "$out"
mkdir -p "$out"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

echo "== igtbridge (pipeline $kind, CPU, demo models) on 127.0.0.1:$out_port, upstream 127.0.0.1:$in_port"
"$bin/igtbridge" --config "$root/config/igtbridge.yaml" "${kind_args[@]}" --set "input.port=$in_port" --set "output.port=$out_port" \
  --set input.reconnect_max_s=0.5 --set log.summary_interval_s=1 --set "kpi.path=$out/kpi.jsonl" \
  2>"$out/igtbridge.log" &
bridge=$!
pids+=($bridge)

echo "== igtbridge-listen: saves every IMAGE and POLYDATA under $out/saved, ends 3 s after the last frame's messages"
"$bin/igtbridge-listen" --port "$out_port" --idle 3 --timeout 120 --save "$out/saved" >"$out/listen.txt" &
listen=$!
pids+=($listen)
for _ in $(seq 300); do grep -q "client .* connected" "$out/igtbridge.log" && break; sleep 0.1; done

echo "== igtbridge-replay $(basename "$recording") ($frames frames) at $fps frames/s on 127.0.0.1:$in_port"
"$bin/igtbridge-replay" "$recording" --port "$in_port" --fps "$fps" 2>"$out/replay.log" &
pids+=($!)

if wait "$listen"; then status=0; else status=$?; fi
# The monitoring endpoint's view of the run (docs/monitoring.md), before the bridge stops.
http_port=$(sed -n 's|.*http: monitoring on http://[0-9.]*:\([0-9]*\)/.*|\1|p' "$out/igtbridge.log" | head -1)
if [ -n "$http_port" ]; then
  python3 - "$http_port" "$out" <<'PY' || echo "demo: NOTE: the monitoring endpoint did not answer"
import sys, urllib.request
port, out = sys.argv[1], sys.argv[2]
for path, name in (("/healthz", "healthz.json"), ("/metrics", "metrics.txt")):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r, open(f"{out}/{name}", "wb") as f:
        f.write(r.read())
print(f"== monitoring: http://127.0.0.1:{port}/ (dashboard while it runs), saved {out}/healthz.json and {out}/metrics.txt")
PY
fi
kill -INT "$bridge" 2>/dev/null || true
wait "$bridge" 2>/dev/null || true
echo "== igtbridge log"
cat "$out/igtbridge.log"
processed=$(sed -n 's/.*stopped: [0-9]* frames in, \([0-9]*\) processed.*/\1/p' "$out/igtbridge.log" | tail -1)
if [ -n "$processed" ] && [ "$processed" -lt "$frames" ]; then
  echo "demo: NOTE: $processed of $frames frames processed: this machine's CPU is slower than the pipeline needs at" \
       "$fps frames/s (only the newest frame is processed; the others are dropped, as live). Try DEMO_FPS=8" \
       "scripts/demo.sh, or a GPU (models.device=cuda)."
fi
echo "== received (type, device: count)"
grep -E "^(IMAGE|TRANSFORM|POLYDATA|STRING|STATUS) " "$out/listen.txt" | awk '{print $1, $2}' | sort | uniq -c || true
echo "== first state message"
grep -m1 "^STRING" "$out/listen.txt" || true
echo "== report"
if [ "$status" = 0 ]; then
  /usr/bin/python3 "$root/scripts/demo_report.py" --saved "$out/saved" --kpi "$out/kpi.jsonl" --out "$out" --caption "$caption" || status=$?
fi
[ "$status" = 0 ] && echo "demo: OK (PNGs, KPI and saved messages in $out)" || echo "demo: FAILED (exit $status)"
exit "$status"
