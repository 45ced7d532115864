#!/usr/bin/env python3
"""Checks a running igtbridge's monitoring endpoint as its users' tools see it.

  check_monitoring.py endpoint URL      /healthz, /metrics through the Prometheus
                                        client's own parser, /events, /overlay.png
  check_monitoring.py browser URL PNG   the dashboard in headless Chromium (the
                                        DevTools protocol over a pipe): charts fed,
                                        the overlay picture loaded and not blank;
                                        a screenshot saved to PNG. Exit 77 (skipped)
                                        where Chromium is not installed.
"""
import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def get(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def png_pixels(data):
    """(width, height, rgb bytes) of an 8-bit RGB, non-interlaced PNG with filter-0 rows."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("overlay.png is not a PNG")
    at, idat = 8, b""
    w = h = 0
    while at < len(data):
        (n,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[at + 8 + n:at + 12 + n])[0]:
            fail(f"overlay.png: bad CRC in {kind}")
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            if (depth, colour) != (8, 2):
                fail(f"overlay.png: depth {depth} colour type {colour}, expected 8-bit RGB")
        elif kind == b"IDAT":
            idat += body
        at += 12 + n
    raw = zlib.decompress(idat)
    stride = w * 3 + 1
    if len(raw) != h * stride:
        fail("overlay.png: pixel data of the wrong size")
    return w, h, b"".join(raw[y * stride + 1:(y + 1) * stride] for y in range(h))


def check_metrics(text):
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        fail("python3-prometheus-client is missing (scripts/setup.sh test installs it)")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    # The parser strips _total from counters' family names; the samples keep it.
    want = {
        "igtbridge_frames_received": "counter", "igtbridge_frames_processed": "counter",
        "igtbridge_frames_dropped": "counter", "igtbridge_frames_failed": "counter",
        "igtbridge_messages_received": "counter", "igtbridge_received_bytes": "counter",
        "igtbridge_messages_sent": "counter", "igtbridge_sent_bytes": "counter",
        "igtbridge_client_connections": "counter", "igtbridge_client_dropped_messages": "counter",
        "igtbridge_upstream_connections": "counter", "igtbridge_clients": "gauge",
        "igtbridge_upstream_connected": "gauge", "igtbridge_tracks_visible": "gauge", "igtbridge_up": "gauge",
        "igtbridge_e2e_latency_seconds": "histogram", "igtbridge_stage_latency_seconds": "histogram",
    }
    for name, kind in want.items():
        if name not in families:
            fail(f"/metrics has no {name}")
        if families[name].type != kind:
            fail(f"{name} is a {families[name].type}, expected a {kind}")
    for f in families.values():
        if not re.fullmatch(r"igtbridge_[a-z][a-z0-9_]*", f.name) or not f.documentation:
            fail(f"{f.name}: not an igtbridge_ name, or no help text")
        for s in f.samples:
            if f.type == "counter" and not (s.name.endswith("_total") or s.name.endswith("_created")):
                fail(f"counter sample {s.name} does not end in _total")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in families.values() for s in f.samples}
    processed = samples[("igtbridge_frames_processed_total", ())]
    if processed < 5:
        fail(f"only {processed} frames processed")
    e2e = families["igtbridge_e2e_latency_seconds"]
    buckets = [(float(s.labels["le"]), s.value) for s in e2e.samples if s.name.endswith("_bucket")]
    if [v for _, v in buckets] != sorted(v for _, v in buckets) or buckets[-1][0] != float("inf"):
        fail("e2e buckets not cumulative, or no +Inf bucket")
    count = samples[("igtbridge_e2e_latency_seconds_count", ())]
    if buckets[-1][1] != count or count < 5:
        fail(f"e2e +Inf bucket {buckets[-1][1]} != count {count}")
    stages = {s.labels["stage"] for s in families["igtbridge_stage_latency_seconds"].samples}
    if not {"decode", "upload", "detect", "segment", "contours", "encode"} <= stages:
        fail(f"stage histograms: {sorted(stages)}")
    print(f"ok   /metrics: {len(families)} families parsed by prometheus_client, {processed:.0f} frames, "
          f"e2e mean {1e3 * samples[('igtbridge_e2e_latency_seconds_sum', ())] / count:.1f} ms")


def check_endpoint(url):
    status, headers, body = get(url + "/healthz")
    if status != 200 or json.loads(body)["status"] != "ok":
        fail(f"/healthz answered {status}: {body!r}")
    print(f"ok   /healthz 200: {body.decode().strip()}")
    status, headers, body = get(url + "/metrics")
    if status != 200 or not headers["Content-Type"].startswith("text/plain; version=0.0.4"):
        fail(f"/metrics answered {status} {headers['Content-Type']}")
    check_metrics(body.decode())
    # The event stream, as the page reads it: ticks once a second, a picture per overlay event.
    ticks, overlays = [], []
    with urllib.request.urlopen(url + "/events", timeout=15) as r:
        if not r.headers["Content-Type"].startswith("text/event-stream"):
            fail(f"/events is {r.headers['Content-Type']}")
        event, deadline = None, time.time() + 20
        while time.time() < deadline and (len(ticks) < 2 or not overlays):
            line = r.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                (ticks if event == "tick" else overlays).append(json.loads(line[6:]))
    if len(ticks) < 2 or not overlays:
        fail(f"/events: {len(ticks)} ticks and {len(overlays)} overlay events in 20 s")
    t = ticks[-1]
    if not t["fps_in"] or t["e2e_p50_ms"] is None or "detect" not in t["stages_mean_ms"]:
        fail(f"a tick without frames: {t}")
    print(f"ok   /events: {len(ticks)} ticks (last: {t['fps_in']} frames/s in, e2e p50 {t['e2e_p50_ms']} ms), "
          f"{len(overlays)} overlay event(s)")
    status, headers, body = get(url + "/overlay.png")
    if status != 200 or headers["Content-Type"] != "image/png":
        fail(f"/overlay.png answered {status}")
    w, h, rgb = png_pixels(body)
    grey = set(rgb[0::3][::97])
    coloured = sum(1 for i in range(0, len(rgb), 3) if not (rgb[i] == rgb[i + 1] == rgb[i + 2]))
    if len(grey) < 8 or coloured < 20:
        fail(f"overlay.png looks blank: {len(grey)} grey levels, {coloured} coloured pixels")
    print(f"ok   /overlay.png {w}x{h}: {coloured} labelled pixels")
    status, _, _ = get(url + "/", timeout=5)
    req = urllib.request.Request(url + "/metrics", data=b"x", method="POST")
    try:
        urllib.request.urlopen(req, timeout=5)
        fail("POST /metrics was accepted")
    except urllib.error.HTTPError as e:
        if e.code != 405:
            fail(f"POST /metrics answered {e.code}, expected 405")
    print("ok   read-only: POST answered 405")


class Cdp:
    """The DevTools protocol over --remote-debugging-pipe (fd 3 in, fd 4 out; JSON messages ending in NUL)."""

    def __init__(self, chromium, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():  # in the child: the pipe ends at 3 and 4, inheritable (dup2 to another number clears CLOEXEC)
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run", "--hide-scrollbars",
             "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id, self.buf = 0, b""

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        fail(f"{method}: {reply['error']}")
                    return reply["result"]
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                fail(f"Chromium closed the pipe during {method}")
            self.buf += chunk
        fail(f"{method}: no answer in {timeout} s")

    def close(self):
        try:
            os.write(self.to_chrome, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def check_browser(url, shot):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        print("SKIP: no Chromium (apt-get install chromium; scripts/setup.sh test installs it)")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as profile:
        cdp = Cdp(chromium, profile)
        try:
            target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            cdp.call("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 860, "deviceScaleFactor": 1, "mobile": False}, session)
            cdp.call("Page.navigate", {"url": url + "/"}, session)
            state, deadline = {}, time.time() + 30
            while time.time() < deadline:
                time.sleep(0.5)
                r = cdp.call("Runtime.evaluate", {"expression": "document.getElementById('test-state').textContent",
                                                  "returnByValue": True}, session)
                state = json.loads(r["result"].get("value") or "{}")
                if state.get("ticks", 0) >= 4 and state.get("overlay_nonblank") and state.get("chart_points", 0) > 8:
                    break
            else:
                fail(f"the dashboard did not fill in 30 s: {state}")
            time.sleep(1.2)  # one more tick and picture drawn
            png = base64.b64decode(cdp.call("Page.captureScreenshot", {"format": "png"}, session)["data"])
            os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
            with open(shot, "wb") as f:
                f.write(png)
            text = cdp.call("Runtime.evaluate", {"expression": "document.getElementById('v-fps').textContent",
                                                 "returnByValue": True}, session)["result"]["value"]
        finally:
            cdp.close()
    print(f"ok   dashboard in {os.path.basename(chromium)}: {state['ticks']} ticks, {state['chart_points']} chart "
          f"points, {state['overlay_loaded']} pictures (the last not blank, "
          f"{state.get('overlay_coloured_pixels', 0)} coloured pixels), frames/s card '{text}'; screenshot {shot} "
          f"({len(png)} bytes)")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "endpoint":
        check_endpoint(sys.argv[2].rstrip("/"))
    elif len(sys.argv) >= 4 and sys.argv[1] == "browser":
        check_browser(sys.argv[2].rstrip("/"), sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
