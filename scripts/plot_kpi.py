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

and prints frames, failed, dropped, fps, the e2e percentiles and a table of the
stages: each stage's p50 and p99, its mean over all frames and over the slowest
1 % (e2e at or above its p99), and "rest", the e2e beyond the stages before
contours and encode (queue, wake-up, hand-offs): where the tail's time goes.
Lines that are
not JSON objects are skipped with one warning. Exit status 0 on success, 1 with
one error line when the file is missing, empty or the PNG cannot be written.

Usage:
  python3 scripts/plot_kpi.py KPI.jsonl [--out latency.png] [--x time|frame] [--title T] [--skip N]

Needs numpy and matplotlib (Debian: apt-get install python3-numpy python3-matplotlib).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_report as dr  # noqa: E402  (the KPI reader and the plot are shared with the demo's report)

PROG = "plot_kpi"
dr.PROG = PROG  # warnings from the shared reader carry this name


# Stages not (or not wholly) before the label map is out; igtbridge-bench gpu's live stage means leave
# out the same two (lib/tools/gpu_bench.cpp).
AFTER_LABELS = ("contours", "encode")


def stage_table(kpi):
    """Per stage: p50 and p99 over the frames, mean over all and over the slowest 1 %."""
    rows = []  # (e2e, {stage: ms}) of the frames that did not fail
    for r, good, e in zip(kpi.records, kpi.ok, kpi.e2e):
        st = r.get("stages_ms")
        if good and isinstance(st, dict):
            ms = {str(k): x for k, x in ((k, dr.num(v)) for k, v in st.items()) if x is not None}
            ms["rest"] = e - sum(v for k, v in ms.items() if k not in AFTER_LABELS)
            rows.append((e, ms))
    if not rows:
        return "stages:   none in the file"
    cut = dr.pct([e for e, _ in rows], 99)
    slow = [ms for e, ms in rows if e >= cut]
    names = [n for n in kpi.stages if n != "rest"] + ["rest"]
    lines = ["stages ms: p50, p99 over %d frames; mean of all, mean of the slowest 1 %% (%d frames, e2e >= %.2f)"
             % (len(rows), len(slow), cut)]
    for n in names:
        v = [ms[n] for _, ms in rows if n in ms]
        t = [ms[n] for ms in slow if n in ms]
        lines.append("  %-12s %7.2f %7.2f   %7.2f %7.2f" % (
            n, dr.pct(v, 50), dr.pct(v, 99), sum(v) / len(v), sum(t) / len(t) if t else float("nan")))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("kpi", help="KPI file (JSON lines) written by igtbridge at kpi.path")
    ap.add_argument("--out", help="PNG to write (default: the KPI file's name with .png)")
    ap.add_argument("--x", choices=("time", "frame"), default="time", help="x axis of the latency plot")
    ap.add_argument("--title", help="title over the figure (default: the KPI file's name)")
    ap.add_argument("--skip", type=int, default=0, metavar="N",
                    help="leave out the first N lines (e.g. the frames that capture the CUDA graph)")
    a = ap.parse_args(argv)
    out = a.out or os.path.splitext(a.kpi)[0] + ".png"
    try:
        records = dr.read_kpi(a.kpi)
        if a.skip < 0 or a.skip >= len(records):
            raise dr.ReportError("--skip %d leaves none of the %d KPI lines" % (a.skip, len(records)))
        kpi = dr.Kpi(records[a.skip:])
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
        print(stage_table(kpi))
    print("written:  %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
