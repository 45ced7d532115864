#!/usr/bin/env python3
"""scripts/plot_kpi.py on KPI files written here: the printed figures are the
percentiles of the lines' e2e_ms (failed frames left out), the counts are right,
a PNG is written; a missing or empty file is exit 1 with one error line.

    python3 tests/scripts/test_plot_kpi.py SRC_DIR

Needs numpy and matplotlib (python3-numpy, python3-matplotlib).
"""

import json
import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from script_checks import Checks, run_script  # noqa: E402

try:  # the plotting needs both; machines without them (the GPU machine) skip, ctest shows it
    import matplotlib  # noqa: F401
    import numpy  # noqa: F401
except ImportError as e:
    print("SKIP: %s (install python3-numpy and python3-matplotlib)" % e)
    sys.exit(77)

src = sys.argv[1]
script = os.path.join(src, "scripts", "plot_kpi.py")
checks = Checks("test_plot_kpi")
check = checks.check



def run(*args):
    return run_script(script, *args)


def pct(values, q):  # numpy's default (linear) percentile, written out
    v = sorted(values)
    pos = (len(v) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


with tempfile.TemporaryDirectory() as tmp:
    rng = random.Random(7)
    kpi = os.path.join(tmp, "kpi.jsonl")
    ok_e2e, ok_rest, dropped = [], [], 0
    with open(kpi, "w") as f:
        for i in range(300):
            failed = i in (40, 41, 250)
            if i % 50 == 49:
                dropped += 3
            e2e = 4.0 + rng.random() * 3.0 + (20.0 if i % 97 == 0 else 0.0)
            if not failed:
                ok_e2e.append(e2e)
                ok_rest.append(e2e - 0.2 - (21.5 if i % 97 == 0 else 1.5) - 2.0)  # contours: after the label map
            f.write(json.dumps({"frame": i + 1, "timestamp": 1000.0 + i / 30.0, "failed": failed, "e2e_ms": e2e,
                                "stages_ms": {"upload": 0.2, "detect": 1.5 + (20.0 if i % 97 == 0 else 0.0),
                                              "segment": 2.0, "contours": 0.5}, "dropped": dropped,
                                "tracks": []}) + "\n")
        f.write("not json\n")
    png = os.path.join(tmp, "out.png")
    rc, out, err = run(kpi, "--out", png)
    check(rc == 0, "exit 0 (%d): %s" % (rc, err.strip()))
    check(os.path.isfile(png) and os.path.getsize(png) > 20000, "PNG written (%s bytes)"
          % (os.path.getsize(png) if os.path.isfile(png) else "no"))
    check("300 processed, 3 failed, %d dropped" % dropped in out, "counts: " + out.splitlines()[0] if out else "no output")
    m = re.search(r"p50 ([0-9.]+)\s+p95 ([0-9.]+)\s+p99 ([0-9.]+)\s+max ([0-9.]+)", out)
    check(m is not None, "percentiles printed")
    if m:
        want = [pct(ok_e2e, 50), pct(ok_e2e, 95), pct(ok_e2e, 99), max(ok_e2e)]
        got = [float(x) for x in m.groups()]
        check(all(abs(a - b) < 0.006 for a, b in zip(got, want)),
              "percentiles %s equal the lines' %s" % (got, ["%.2f" % w for w in want]))
    check("fps:      30.0" in out, "fps from the timestamps")
    # The slow frames (i % 97 == 0: 0, 97, 194, 291) are the slowest 1 % and slow in detect alone.
    cut = pct(ok_e2e, 99)
    n_slow = sum(1 for e in ok_e2e if e >= cut)
    check(("(%d frames, e2e >= %.2f)" % (n_slow, cut)) in out and 1 <= n_slow <= 4, "the slowest 1 %% named: %s" % out)
    rows = {ln.split()[0]: [float(x) for x in ln.split()[1:]] for ln in out.splitlines()
            if ln.startswith("  ") and len(ln.split()) == 5}
    check("detect" in rows and rows["detect"][0] == 1.5 and rows["detect"][3] == 21.5,
          "detect: p50 1.50, the slowest frames' mean 21.50: %s" % rows.get("detect"))
    check(rows.get("segment") == [2.0, 2.0, 2.0, 2.0], "segment the same in all frames: %s" % rows.get("segment"))
    slow_rest = [r for e, r in zip(ok_e2e, ok_rest) if e >= cut]
    check("rest" in rows and abs(rows["rest"][0] - pct(ok_rest, 50)) < 0.006 and
          abs(rows["rest"][3] - sum(slow_rest) / len(slow_rest)) < 0.006, "rest = e2e - stages: %s" % rows.get("rest"))
    check(all(e >= 24.0 for e in ok_e2e if e >= cut), "the slowest 1 % are only frames slow in detect")
    check("1 lines that are not JSON objects were skipped" in err, "the bad line is reported")
    rc, out, err = run(kpi, "--out", png, "--skip", "100")
    check(rc == 0 and "200 processed" in out, "--skip 100 leaves 200 lines: %s" % out.splitlines()[:1])
    rc, out, err = run(kpi, "--out", png, "--skip", "300")
    check(rc == 1 and "leaves none" in err, "--skip past the end: exit 1 (%s)" % err.strip())
    rc, out, err = run(kpi, "--x", "frame")
    check(rc == 0 and os.path.isfile(os.path.join(tmp, "kpi.png")), "default output name next to the KPI file")

    rc, out, err = run(os.path.join(tmp, "missing.jsonl"))
    check(rc == 1 and err.strip().count("\n") == 0 and "does not exist" in err, "missing file: exit 1, one line")
    empty = os.path.join(tmp, "empty.jsonl")
    open(empty, "w").close()
    rc, out, err = run(empty)
    check(rc == 1 and "no KPI lines" in err, "empty file: exit 1 (%s)" % err.strip())

checks.finish()
