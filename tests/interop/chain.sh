#!/usr/bin/env bash
# The chain a user runs, every message checked by the reference OpenIGTLink
# 3.1 library: igtbridge-replay (PlusServer stand-in) -> igtbridge (pipeline
# on, demo models, CPU, the shipped YAML) -> two Slicer stand-ins built on the
# reference library (igtl3_peer client): one that announces header version 2
# on connect as Slicer does, one that says nothing (version 1). Each
# recording runs twice: the bridge asking the replay for version 2 (frame
# fields as metadata) and not (version 1 upstream, reframed to version 2 for
# the Slicer stand-in). Recordings: the two bundled PLUS ones (uint8 grey),
# and an RGB and an int16 one made here. Every message either client
# receives must be decoded completely (Unpack(1): header and body, CRC) in
# that client's header version; the label maps must carry their image's
# geometry and metadata.
#   chain.sh BIN_DIR SOURCE_DIR PEER
set -euo pipefail
bin=$1
src=$2
peer=$3
source "$src/tests/support/apps_common.sh"  # tmp, pids, scale, fail
export ASAN_OPTIONS=detect_leaks=0

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

# An RGB and an int16 recording (NRRD sequences, frames along the last axis),
# 160x120, 24 frames: bright blobs that move, on a dark speckled background.
python3 - "$tmp" <<'EOF'
import math, struct, sys
out = sys.argv[1]
w, h, n = 160, 120, 24
def frame(k):
    cx, cy = 40 + 3 * k, 60 + 10 * math.sin(k / 4)
    px = []
    for y in range(h):
        for x in range(w):
            d = ((x - cx) ** 2 + (y - cy) ** 2) / 300.0
            px.append(min(1.0, math.exp(-d) + ((x * 7 + y * 13 + k) % 17) / 170.0))
    return px
frames = [frame(k) for k in range(n)]
def fields():  # per-frame fields: a custom one (FrameNumber) goes out as metadata
    return b"".join(b"Seq_Frame%04d_Timestamp:=%.3f\nSeq_Frame%04d_ImageStatus:=OK\nSeq_Frame%04d_FrameNumber:=%d\n"
                    % (k, 10 + k / 10.0, k, k, 1000 + k) for k in range(n)) + b"\n"
with open(out + "/rgb.nrrd", "wb") as f:
    f.write(b"NRRD0004\ntype: uint8\ndimension: 4\nspace dimension: 3\nsizes: 3 %d %d %d\n"
            b"kinds: vector domain domain list\nspace directions: none (0.2,0,0) (0,0.2,0) none\n"
            b"space origin: (10,-5,0)\nencoding: raw\n" % (w, h, n) + fields())
    for px in frames:
        f.write(bytes(c for v in px for c in (int(255 * v), int(200 * v), int(100 * v))))
with open(out + "/int16.nrrd", "wb") as f:
    f.write(b"NRRD0004\ntype: short\ndimension: 3\nspace dimension: 3\nsizes: %d %d %d\n"
            b"kinds: domain domain list\nspace directions: (0.3,0,0) (0,0.3,0) none\n"
            b"space origin: (0,0,0)\nendian: little\nencoding: raw\n" % (w, h, n) + fields())
    for px in frames:
        f.write(struct.pack("<%dh" % len(px), *(int(30000 * v) - 1000 for v in px)))
EOF

run_chain() {  # file label request_v2 frames
  local file=$1 label=$2 v2=$3 frames=$4
  local in_port out_port
  in_port=$(free_port)
  out_port=$(free_port)
  [ "$in_port" != "$out_port" ] || out_port=$((out_port + 1))
  local log="$tmp/$label.bridge.err"
  "$bin/igtbridge" --config "$src/config/igtbridge.yaml" --set "input.port=$in_port" --set "output.port=$out_port" \
    --set input.reconnect_max_s=0.2 --set "input.request_v2_headers=$v2" --set output.queue_messages=256 \
    >"$tmp/$label.bridge.out" 2>"$log" &
  local bridge=$!
  pids+=($bridge)
  for _ in $(seq 300); do
    grep -q "serving on" "$log" && break
    kill -0 "$bridge" 2>/dev/null || fail "$label: igtbridge exited before serving"
    sleep 0.1
  done
  # The version 2 client receives as OpenIGTLinkIO does (--via-copy); the version 1 one by the plain path.
  "$peer" client 127.0.0.1 "$out_port" --hello-v2 --via-copy --timeout-s 120 >"$tmp/$label.v2.jsonl" 2>"$tmp/$label.v2.err" &
  local c2=$!
  "$peer" client 127.0.0.1 "$out_port" --timeout-s 120 >"$tmp/$label.v1.jsonl" 2>"$tmp/$label.v1.err" &
  local c1=$!
  pids+=($c1 $c2)
  for _ in $(seq 100); do
    [ "$(grep -c "client .* connected" "$log" || true)" -ge 2 ] && break
    sleep 0.1
  done
  [ "$(grep -c "client .* connected" "$log" || true)" -ge 2 ] || fail "$label: the clients never reached the bridge"
  sleep 0.3  # the Slicer stand-in's version 2 STATUS is read
  "$bin/igtbridge-replay" "$file" --port "$in_port" --fps 10 --wait-clients 1 \
    >"$tmp/$label.replay.out" 2>"$tmp/$label.replay.err" || fail "$label: igtbridge-replay exited $?"
  sleep 2  # the last frames through the pipeline, and one IgtbridgeStatus
  kill -TERM "$bridge"
  wait "$bridge" || fail "$label: igtbridge exited $? on SIGTERM"
  wait "$c1" || fail "$label: the version 1 client exited $?"
  wait "$c2" || fail "$label: the version 2 client exited $?"
  python3 - "$tmp/$label" "$v2" "$frames" <<'EOF' || fail "$label: check failed"
import json, sys
base, upstream_v2, frames = sys.argv[1], sys.argv[2] == "true", int(sys.argv[3])
for version in (1, 2):
    lines = [json.loads(l) for l in open("%s.v%d.jsonl" % (base, version)) if l.startswith("{")]
    bad = [l for l in lines if not l.get("ok")]
    assert not bad, "v%d client: %d of %d messages not decoded, first: %s" % (version, len(bad), len(lines), bad[0])
    other = [l for l in lines if l["header_version"] != version]
    assert not other, "v%d client got header version %d" % (version, other[0]["header_version"])
    by = {}
    for l in lines:
        by.setdefault(l["device"], []).append(l)
    count = {d: len(v) for d, v in by.items()}
    images = by.get("Image_Reference", [])
    assert len(images) == frames, "v%d client: %d of %d Image_Reference" % (version, len(images), frames)
    for d in ("BoneMask", "BoneContour", "BoneMaskState", "IgtbridgeStatus"):
        assert count.get(d, 0) >= 1, "v%d client: no %s in %s" % (version, d, count)
    # Each label map: uint8, one component, its image's dims and matrix (same timestamp).
    by_ts = {l["timestamp"]: l for l in images}
    numbered = 0
    for m in by["BoneMask"]:
        img = by_ts[m["timestamp"]]
        assert m["scalar_type"] == 3 and m["components"] == 1, m
        assert m["dims"] == img["dims"] and m["matrix12"] == img["matrix12"], (m, img)
        # The label map carries its image's metadata (none in version 1). The
        # first frames may come from the replay in version 1, before it has
        # read the bridge's version 2 STATUS (PlusServer's rule too).
        assert m["metadata"] == img["metadata"], (m["metadata"], img["metadata"])
        numbered += "FrameNumber" in m["metadata"]
    if version == 2 and upstream_v2 and ("/rgb" in base or "/int16" in base):  # their FrameNumber frame field
        assert numbered >= len(by["BoneMask"]) - 2, "%d of %d label maps carry FrameNumber" % (numbered, len(by["BoneMask"]))
    for s in by["BoneMaskState"]:
        json.loads(s["string"])
    for p in by["BoneContour"]:
        assert all(a["name"] == "label" for a in p["attributes"]), p["attributes"]
    print("  v%d client: %d messages, all decoded: %s" % (version, len(lines), ", ".join("%s %d" % kv for kv in sorted(count.items()))))
EOF
}

n=0
for spec in "$src/tests/data/SpinePhantomFreehand.igs.mha:spine:21" "$src/tests/data/NwirePhantomFreehand.igs.nrrd:nwire:97" \
            "$tmp/rgb.nrrd:rgb:24" "$tmp/int16.nrrd:int16:24"; do
  IFS=: read -r file name frames <<<"$spec"
  for v2 in true false; do
    echo "chain: $name, upstream header version $([ $v2 = true ] && echo 2 || echo 1)"
    run_chain "$file" "$name-$v2" "$v2" "$frames"
    n=$((n + 1))
  done
done
echo "interop chain: $n runs, every message to both clients decoded by the reference OpenIGTLink library"
