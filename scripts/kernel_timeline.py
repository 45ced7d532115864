#!/usr/bin/env python3
"""Where a frame's GPU time goes, stream by stream, from `igtbridge-bench pipeline --kernel-profile N
--kernel-trace FILE` (every kernel, copy and memset of the N profiled frames: start, end, stream,
name; copies and memsets count as kernels here, named in brackets).

    scripts/kernel_timeline.py trace.csv [--frames N] [--dump frame.txt]

A frame opens where the trace's first stream runs its first kernels again after everything before
them has ended (the frames are replays of one graph, back to back); --frames N says how many the
trace should hold and a different count is an error (exit 1), not a guess. For each stream: kernels,
busy time and when its first kernel starts and its last ends, from the frame's first kernel (median
over the frames); its waits (gaps of more than --gap-us between two of its kernels, where it waits
for another stream or the host); and the median frame's kernels in runs of one family (ATen =
LibTorch's own, our pre- and post-processing and the packages' fallbacks; Triton = Inductor's
generated kernels; library = cuBLAS, cuDNN, CUTLASS; copy = copies and memsets), to read which model
runs when. --dump writes the median frame kernel by kernel.
Standard library only.
"""

import argparse
import csv
import statistics
import sys


def family(name):
    if name.startswith("["):  # "[memcpy HtoD 505344 B]", "[memset 64 B]"
        return "copy"
    if name.startswith("triton"):
        return "triton"
    if name.startswith(("at::", "void at::", "c10::")):
        return "aten"
    return "library"


def read(path):
    """The trace's kernels sorted by start; exit 1 with one line for a file that is missing or not a trace."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        out = [(float(r["start_us"]), float(r["end_us"]), int(r["stream"]), r["kernel"]) for r in rows]
    except (OSError, KeyError, TypeError, ValueError) as e:
        sys.exit("kernel_timeline: %s is not a kernel trace (start_us,end_us,stream,kernel): %s" % (path, e))
    out.sort()
    return out


SIGNATURE = 3  # records that open a frame: its first stream's first names


def cuts(kernels, first, names, sig):
    """Indices where the first stream runs `sig` (its next names, all of them) after every record
    before has ended; 0 first."""
    starts, end, n = [0], kernels[0][1], 1  # n: the first stream's records before index i
    for i in range(1, len(kernels)):
        if kernels[i][2] == first:
            if kernels[i][0] >= end and names[n:n + len(sig)] == sig:
                starts.append(i)
            n += 1
        end = max(end, kernels[i][1])
    return starts


def split_frames(kernels):
    """The records cut into frames: a frame opens where the trace's first stream runs its first
    names again, in order, after every record before them has ended. The trace starts at a frame's
    first record and the frames are replays of one graph, so each opens the same way (other streams
    may start in between). The first SIGNATURE names, or as many as the first stream runs in the first
    frame (the upload's stream runs one copy a frame). Idle time says nothing: inside a frame a
    stream may wait longer than the host takes between two frames."""
    if not kernels:
        return []
    first = kernels[0][2]
    names = [k[3] for k in kernels if k[2] == first]
    starts = cuts(kernels, first, names, names[:SIGNATURE])
    if len(starts) > 1:
        in_first = sum(1 for k in kernels[:starts[1]] if k[2] == first)
        if in_first < SIGNATURE:
            starts = cuts(kernels, first, names, names[:in_first])
    bounds = starts + [len(kernels)]
    return [kernels[a:b] for a, b in zip(bounds, bounds[1:])]


def opening(kernels):
    """The names split_frames cuts at, for messages."""
    first = kernels[0][2]
    return [k[3] for k in kernels if k[2] == first][:SIGNATURE]


def busy(spans):
    total, cur_a, cur_b = 0.0, None, None
    for a, b in sorted(spans):
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    return total + (cur_b - cur_a if cur_b is not None else 0.0)


def frame_facts(frame, gap_us):
    t0 = frame[0][0]
    facts = {"span": max(k[1] for k in frame) - t0, "busy": busy([(k[0], k[1]) for k in frame]), "streams": {}}
    for s in sorted({k[2] for k in frame}):
        ks = [k for k in frame if k[2] == s]
        waits = []
        for prev, nxt in zip(ks, ks[1:]):
            if nxt[0] - prev[1] > gap_us:
                waits.append((prev[1] - t0, nxt[0] - prev[1], prev[3], nxt[3]))
        facts["streams"][s] = {"kernels": len(ks), "kernel_ms": sum(k[1] - k[0] for k in ks) / 1e3,
                               "busy_ms": busy([(k[0], k[1]) for k in ks]) / 1e3,
                               "first": (ks[0][0] - t0) / 1e3, "last": (ks[-1][1] - t0) / 1e3, "waits": waits}
    return facts


def runs(frame):
    """The frame's kernels per stream in runs of one family: (stream, family, count, start, end, kernel us)."""
    t0 = frame[0][0]
    out = []
    for s in sorted({k[2] for k in frame}):
        cur = None
        for a, b, _, name in (k for k in frame if k[2] == s):
            f = family(name)
            if cur and cur[1] == f:
                cur[2] += 1
                cur[4] = b - t0
                cur[5] += b - a
            else:
                if cur:
                    out.append(cur)
                cur = [s, f, 1, a - t0, b - t0, b - a]
        if cur:
            out.append(cur)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--frames", type=int, help="frames profiled (--kernel-profile N): the trace must hold that many")
    ap.add_argument("--gap-us", type=float, default=8.0, help="a stream's idle stretch reported as a wait")
    ap.add_argument("--dump", help="write the median frame's kernels one a line to this file")
    a = ap.parse_args()
    kernels = read(a.trace)
    if not kernels:
        sys.exit("kernel_timeline: no kernels in %s" % a.trace)
    frames = split_frames(kernels)
    if a.frames is not None and len(frames) != a.frames:
        sys.exit("kernel_timeline: %s holds %d frames by their opening kernels (%s), not the %d of --frames" % (
            a.trace, len(frames), ", ".join(n[:40] for n in opening(kernels)), a.frames))
    counts = [len(f) for f in frames]
    facts = [frame_facts(f, a.gap_us) for f in frames]
    spans = [f["span"] for f in facts]
    med = sorted(range(len(frames)), key=lambda i: spans[i])[len(frames) // 2]
    print("%d frames, %s kernels a frame; first kernel to last end: median %.3f ms (min %.3f, max %.3f), "
          "GPU busy median %.3f ms" % (len(frames), "/".join(str(c) for c in sorted(set(counts))),
                                       statistics.median(spans) / 1e3, min(spans) / 1e3, max(spans) / 1e3,
                                       statistics.median(f["busy"] for f in facts) / 1e3))
    streams = sorted({s for f in facts for s in f["streams"]})
    print("%-8s %8s %10s %8s %10s %10s  (medians over the frames, ms from the frame's first kernel)" % (
        "stream", "kernels", "kernel ms", "busy ms", "first", "last end"))
    for s in streams:
        per = [f["streams"][s] for f in facts if s in f["streams"]]
        print("%-8d %8.0f %10.3f %8.3f %10.3f %10.3f" % (
            s, statistics.median(p["kernels"] for p in per), statistics.median(p["kernel_ms"] for p in per),
            statistics.median(p["busy_ms"] for p in per), statistics.median(p["first"] for p in per),
            statistics.median(p["last"] for p in per)))
    print("\nthe median frame (%d), each stream's waits over %.0f us (at ms, for us, between):" % (med, a.gap_us))
    for s, st in facts[med]["streams"].items():
        for at, gap, before, after in st["waits"]:
            print("  stream %d at %.3f: %.1f us  %s -> %s" % (s, at / 1e3, gap, before[:50], after[:50]))
    print("\nthe median frame in runs of one family (stream, family, kernels, start ms, end ms, kernel ms):")
    for s, f, n, start, end, us in runs(frames[med]):
        print("  %-6d %-8s %4d %8.3f %8.3f %8.3f" % (s, f, n, start / 1e3, end / 1e3, us / 1e3))
    if a.dump:
        t0 = frames[med][0][0]
        with open(a.dump, "w") as out:
            for start, end, s, name in frames[med]:
                out.write("%9.3f %8.3f %4d %s\n" % ((start - t0) / 1e3, (end - start), s, name))


if __name__ == "__main__":
    main()
