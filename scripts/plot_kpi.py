#!/usr/bin/env python3
"""Plot an igtbridge KPI file: latency over time, histogram, per-stage times.

The KPI file is what igtbridge writes at `kpi.path`: JSON lines, one object per
processed frame ({"frame", "timestamp", "failed", "e2e_ms", "stages_ms",
"dropped", ...}). Writes one PNG with

  - the end-to-end latency histogram with p50/p95/p99,
  - per-stage p50/p95 bars,
  - latency over time (seconds since the first frame's timestamp; --x frame for
    the frame number), drops marked in red where the dropped count grew (with
    how many), failed frames marked with a black x,

and prints frames, failed, dropped, fps and the e2e percentiles. Lines that are
not JSON objects are skipped with one warning. Exit status 0 on success, 1 with
one error line when the file is missing, empty or the PNG cannot be written.

Usage:
  python3 scripts/plot_kpi.py KPI.jsonl [--out latency.png] [--x time|frame] [--title T]

Needs numpy and matplotlib (Debian: apt-get install python3-numpy python3-matplotlib).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_report as dr  # noqa: E402  (the KPI reader and the plot are shared with the demo's report)

PROG = "plot_kpi"
dr.PROG = PROG  # warnings from the shared reader carry this name


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("kpi", help="KPI file (JSON lines) written by igtbridge at kpi.path")
    ap.add_argument("--out", help="PNG to write (default: the KPI file's name with .png)")
    ap.add_argument("--x", choices=("time", "frame"), default="time", help="x axis of the latency plot")
    ap.add_argument("--title", help="title over the figure (default: the KPI file's name)")
    a = ap.parse_args(argv)
    out = a.out or os.path.splitext(a.kpi)[0] + ".png"
    try:
        kpi = dr.Kpi(dr.read_kpi(a.kpi))
        parent = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(parent):
            raise dr.ReportError("output directory %s does not exist" % parent)
        dr.draw_latency(kpi, out, x_axis=a.x, title=a.title or os.path.basename(a.kpi))
    except (dr.ReportError, OSError) as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1
    e2e = kpi.e2e_ok
    print("frames:   %d processed, %d failed, %s dropped"
          % (kpi.n, sum(kpi.failed), kpi.dropped_last if kpi.dropped_last is not None else "n/a"))
    print("fps:      %s" % ("%.1f (from timestamps)" % kpi.fps if kpi.fps else "n/a"))
    if len(e2e):
        print("e2e ms:   p50 %.2f  p95 %.2f  p99 %.2f  max %.2f"
              % (dr.pct(e2e, 50), dr.pct(e2e, 95), dr.pct(e2e, 99), e2e.max()))
    print("written:  %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
