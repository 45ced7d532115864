#!/usr/bin/env python3
"""scripts/kernel_timeline.py on a made-up kernel trace (no GPU: the trace is what
`igtbridge-bench pipeline --kernel-trace` writes): frames of two streams where a stream waits longer
inside a frame than the host takes between frames, a frame's opening kernel names come again inside
the frame, and the other stream starts before the opening kernels are through in some frames. The frames must be cut where they open, each frame's span and busy time and each
stream's kernel count must be the ones built, and --frames that does not fit is exit 1 with one line.

    python3 tests/scripts/test_kernel_timeline.py SRC_DIR
"""

import csv
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from script_checks import Checks, run_script  # noqa: E402

src = sys.argv[1]
script = os.path.join(src, "scripts", "kernel_timeline.py")
checks = Checks("test_kernel_timeline")
check = checks.check

FRAMES, HOST_GAP, STALL = 7, 20.0, 300.0  # us: between frames, and one stream's wait inside a frame


def frame(t0, i, upload=False):
    """One frame's kernels from t0: (start, end, stream, name), with upload its upload copy first on a
    stream of its own (as --kernel-trace records copies); its span and busy time in us."""
    ks, t = [], t0
    if upload:
        ks.append((t, t + 20, 3, "[memcpy HtoD 1024 B]"))
        t += 21
    for name in ("at::native::unrolled_elementwise_kernel", "at::native::upsample", "at::native::elementwise"):
        ks.append((t, t + 4, 13, name))
        t += 5
    pre_end = t
    # stream 51 starts beside (in odd frames before the third opening kernel), waits STALL (the
    # in-frame idle stretch on both streams), goes on
    s51 = ks[-2][0] + 2 if i % 2 else pre_end
    ks.append((s51, s51 + 3, 51, "triton_poi_fused_convolution_0"))
    t = pre_end + 3 + STALL
    for j in range(5 + i % 3):  # frames differ a little in length
        ks.append((t, t + 10, 13, "sm90_xmma_fprop"))
        ks.append((t + 2, t + 9, 51, "at::native::elementwise"))  # an opening name again, mid-frame
        t += 11
    ks.append((t, t + 6, 13, "at::native::unrolled_elementwise_kernel"))  # again, after all ended
    ks.append((t + 6, t + 8, 51, "at::native::upsample"))
    return ks, t + 8 - t0, union(ks)


def union(ks):
    """us in which at least one kernel runs."""
    covered, last = 0.0, None
    for a, b in sorted((k[0], k[1]) for k in ks):
        a = max(a, last) if last is not None else a
        if b > a:
            covered += b - a
            last = b
    return covered


def scenario(tmp, upload):
    """The checks on frames with or without an upload copy opening each."""
    trace = os.path.join(tmp, "trace.csv")
    kernels, spans, busies, counts = [], [], [], []
    t = 1000.0
    for i in range(FRAMES):
        ks, span, busy = frame(t, i, upload)
        kernels += ks
        spans.append(span)
        busies.append(busy)
        counts.append(len(ks))
        t += span + HOST_GAP
    with open(trace, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["start_us", "end_us", "stream", "kernel"])
        for a, b, s, n in kernels:
            w.writerow(["%.3f" % a, "%.3f" % b, s, n])

    dump = os.path.join(tmp, "frame.txt")
    rc, out, err = run_script(script, trace, "--frames", str(FRAMES), "--dump", dump)
    check(rc == 0, "runs on the trace (%s)" % err.strip()[-200:])
    head = out.splitlines()[0] if out else ""
    m = re.match(r"(\d+) frames, ([\d/]+) kernels a frame; first kernel to last end: median ([\d.]+) ms "
                 r"\(min ([\d.]+), max ([\d.]+)\), GPU busy median ([\d.]+) ms", head)
    check(m is not None, "headline: %s" % head)
    if m:
        check(int(m.group(1)) == FRAMES, "cut into the %d frames built, not at the in-frame stall" % FRAMES)
        check(m.group(2) == "/".join(str(c) for c in sorted(set(counts))), "kernels a frame as built: " + m.group(2))
        med_span = sorted(spans)[FRAMES // 2]
        check(abs(float(m.group(3)) - med_span / 1e3) < 1e-3, "median span %.3f ms as built" % (med_span / 1e3))
        check(abs(float(m.group(4)) - min(spans) / 1e3) < 1e-3 and abs(float(m.group(5)) - max(spans) / 1e3) < 1e-3,
              "min and max span as built")
        check(abs(float(m.group(6)) - sorted(busies)[FRAMES // 2] / 1e3) < 1e-3, "median busy time as built")
    rows = {}  # the stream table: from the third line to the first empty one
    for r in out.splitlines()[2:]:
        if not r.strip():
            break
        rows[int(r.split()[0])] = r.split()
    med = sorted(range(FRAMES), key=lambda i: spans[i])[FRAMES // 2]
    med_kernels = frame(0.0, med, upload)[0]
    for s in ((3,) if upload else ()) + (13, 51):
        n = sum(1 for k in med_kernels if k[2] == s)
        check(s in rows and abs(float(rows[s][1]) - n) <= 1, "stream %d: about %d kernels a frame" % (s, n))
    s51 = [k for k in sorted(med_kernels) if k[2] == 51]
    stall = "stream 51 at %.3f: %.1f us" % (s51[0][1] / 1e3, s51[1][0] - s51[0][1])
    check(stall in out, "the median frame's in-frame stall is reported as a wait (%s)" % stall)
    with open(dump) as f:
        lines = f.read().splitlines()
    check(len(lines) == counts[med], "--dump writes the median frame's %d kernels" % counts[med])
    opening = med_kernels[0][3]
    check(bool(lines) and lines[0].split(None, 3)[-1] == opening and float(lines[0].split()[0]) == 0.0,
          "the dump starts at the frame's opening record (%s)" % opening)

    rc, out, err = run_script(script, trace, "--frames", str(FRAMES + 1))
    check(rc == 1 and len(err.strip().splitlines()) == 1 and "holds %d frames" % FRAMES in err,
          "--frames that does not fit: exit 1, one line (%s)" % err.strip())
    rc, out, err = run_script(script, trace)
    check(rc == 0 and out.startswith("%d frames" % FRAMES), "--frames may be left out")
    rc, out, err = run_script(script, os.path.join(tmp, "missing.csv"))
    check(rc != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1,
          "a missing trace: one error line (%s)" % err.strip()[-120:])
    empty = os.path.join(tmp, "empty.csv")
    with open(empty, "w") as f:
        f.write("start_us,end_us,stream,kernel\n")
    rc, out, err = run_script(script, empty)
    check(rc == 1 and "no kernels" in err, "an empty trace: one error line")



for upload in (False, True):
    print("frames %s an upload copy:" % ("opening with" if upload else "without"))
    with tempfile.TemporaryDirectory() as tmp:
        scenario(tmp, upload)
checks.finish()
