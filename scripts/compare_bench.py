#!/usr/bin/env python3
"""Side by side: the C++ pipeline (igtbridge-bench pipeline --json) and the Python
reference (scripts/reference_pipeline.py --json), measured in the same device call.

    scripts/compare_bench.py --cxx CXX.json [--cxx ...] --ref REF.json [--ref ...] [--out ALL.json]

(igtbridge-bench gpu prints the same side-by-side for one C++ run; its --json file is also read as
a --cxx file here.)

Prints one line per run (e2e p50 / p95 / p99, frames/s, copies per frame, GPU memory the run took
where the file has it; a C++ run is named by
device, precision, graphs and model format: TorchScript or AOTInductor) and, for every C++
run, its speed-up over every reference run (reference p50 / C++ p50). --out writes all
the runs and ratios as one JSON file (for bench/results/). Exit 1 on a missing or
malformed file, with one error line.
"""

import argparse
import json
import sys


def model_format(d):
    """TorchScript, AOTInductor, or which roles run AOTInductor packages (.pt2) when mixed."""
    aoti = [k for k in ("detector", "encoder", "decoder") if str(d.get(k, "")).endswith(".pt2")]
    if not aoti:
        return "TorchScript"
    return "AOTInductor" if len(aoti) == 3 else "AOTInductor %s" % "+".join(aoti)


def load(path, kind):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit("compare_bench: error: %s: %s" % (path, e))
    try:
        if kind == "cxx":
            if d.get("tool") == "igtbridge-bench gpu":  # the pipeline's figures sit inside
                d = d["pipeline"]
            e2e = d["stages_ms"]["e2e"]
            copies = d.get("copies") or {}
            return {"name": "C++ %s %s%s, %s" % (d["device"], d["precision"], ", graphs" if d.get("cuda_graph") else "",
                                                model_format(d)) + (
                        ", encoder not overlapped" if d.get("overlap_encoder") is False and d["device"] != "cpu" else "") + (
                        ", cache kept" if d.get("release_cached_memory") is False and d.get("cuda_graph") else ""),
                    "p50": float(e2e["p50"]), "p95": e2e.get("p95"), "p99": float(e2e["p99"]), "fps": float(d["fps"]),
                    "h2d": copies.get("h2d_per_frame"), "d2h": copies.get("d2h_per_frame"),
                    "mem": d.get("gpu_memory_mib") if d["device"] != "cpu" else None, "file": path, "raw": d}
        c = d.get("copies") or {}
        return {"name": "Python %s %s" % (d["mode"], d["precision"]), "p50": float(d["p50_ms"]),
                "p95": d.get("p95_ms"), "p99": float(d["p99_ms"]), "fps": float(d["fps"]), "h2d": c.get("h2d_per_frame"),
                "d2h": c.get("d2h_per_frame"), "mem": d.get("gpu_memory_mib"), "file": path, "raw": d}
    except (KeyError, TypeError, ValueError) as e:
        raise SystemExit("compare_bench: error: %s: not a %s result (%s)" % (
            path, "igtbridge-bench --json" if kind == "cxx" else "reference_pipeline.py --json", e))


def fmt(v):
    return "-" if v is None else "%.2f" % v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", action="append", default=[], help="igtbridge-bench pipeline --json output")
    ap.add_argument("--ref", action="append", default=[], help="reference_pipeline.py --json output")
    ap.add_argument("--out", help="write everything as one JSON file")
    args = ap.parse_args()
    if not args.cxx or not args.ref:
        raise SystemExit("compare_bench: error: give at least one --cxx and one --ref file")
    cxx = [load(p, "cxx") for p in args.cxx]
    ref = [load(p, "ref") for p in args.ref]
    print("%-48s %9s %9s %9s %9s %6s %6s %8s" % ("run", "p50 ms", "p95 ms", "p99 ms", "frames/s", "H2D", "D2H",
                                                  "GPU MiB"))
    for r in cxx + ref:
        mem = "-" if r["mem"] is None else "%.0f" % r["mem"]
        print("%-48s %9.2f %9s %9.2f %9.1f %6s %6s %8s" % (r["name"], r["p50"], fmt(r["p95"]), r["p99"], r["fps"],
                                                          fmt(r["h2d"]), fmt(r["d2h"]), mem))
    ratios = []
    for c in cxx:
        for r in ref:
            ratio = r["p50"] / c["p50"] if c["p50"] > 0 else float("nan")
            ratios.append({"cxx": c["name"], "reference": r["name"], "speedup_p50": ratio})
            print("speed-up %s over %s: %.2fx (p50)" % (c["name"], r["name"], ratio))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"cxx": [c["raw"] for c in cxx], "reference": [r["raw"] for r in ref], "ratios": ratios}, f,
                      indent=1)


if __name__ == "__main__":
    sys.exit(main())
