#!/usr/bin/env python3
"""scripts/compare_bench.py on a real igtbridge-bench pipeline --json file (CPU, a few
frames) and a reference file in reference_pipeline.py's format: the printed speed-up is
reference p50 / C++ p50 from the files, --out holds every run and ratio, a malformed
or missing file is exit 1 with one error line.

    python3 tests/scripts/test_compare_bench.py SRC_DIR BIN_DIR
"""

import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from script_checks import Checks, run_script  # noqa: E402

src, bindir = sys.argv[1], sys.argv[2]
script = os.path.join(src, "scripts", "compare_bench.py")
checks = Checks("test_compare_bench")
check = checks.check



def run(*args):
    return run_script(script, *args)


with tempfile.TemporaryDirectory() as tmp:
    cxx = os.path.join(tmp, "cxx.json")
    b = subprocess.run([os.path.join(bindir, "igtbridge-bench"), "pipeline", "--frames", "3", "--warmup", "1",
                        "--json", cxx], capture_output=True, text=True)
    check(b.returncode == 0, "igtbridge-bench --json ran (%s)" % b.stderr.strip()[-200:])
    d = json.load(open(cxx))
    check(d["device"] == "cpu" and d["frames"] == 3, "bench JSON: device and frames")
    check(set(d["stages_ms"]) >= {"upload", "detect", "segment", "contours", "e2e"}, "bench JSON: every stage")
    check(d["stages_ms"]["e2e"]["p50"] > 0 and d["fps"] > 0, "bench JSON: positive times")
    check(d["gpu_memory_mib"] == 0, "bench JSON: no GPU memory on the CPU")
    e = d["stages_ms"]["e2e"]
    check(e["p50"] <= e["p95"] <= e["p99"], "bench JSON: p50 <= p95 <= p99")
    ref = os.path.join(tmp, "ref.json")
    json.dump({"mode": "eager", "precision": "fp32", "p50_ms": 123.0, "p95_ms": 130.0, "p99_ms": 140.0, "fps": 8.0,
               "copies": {"h2d_per_frame": 2.0, "d2h_per_frame": 2.0}, "gpu_memory_mib": 456.4}, open(ref, "w"))
    out = os.path.join(tmp, "all.json")
    rc, so, se = run("--cxx", cxx, "--ref", ref, "--out", out)
    check(rc == 0, "exit 0 (%s)" % se.strip())
    m = re.search(r"over Python eager fp32: ([0-9.]+)x", so)
    want = 123.0 / d["stages_ms"]["e2e"]["p50"]
    check(m is not None and abs(float(m.group(1)) - want) <= 0.01 * want + 0.01,
          "speed-up printed = reference p50 / C++ p50 (%s vs %.2f)" % (m.group(1) if m else None, want))
    eager_line = [l for l in so.splitlines() if l.startswith("Python eager fp32")]
    check(len(eager_line) == 1 and eager_line[0].split()[-1] == "456", "GPU memory printed from the file (%s)" % eager_line)
    check(len(eager_line) == 1 and eager_line[0].split()[3:6] == ["123.00", "130.00", "140.00"],
          "p50, p95, p99 printed from the file (%s)" % eager_line)
    cxx_line = [l for l in so.splitlines() if l.startswith("C++ cpu")]
    check(len(cxx_line) == 1 and cxx_line[0].split()[-1] == "-", "no GPU memory for a CPU run (%s)" % cxx_line)
    a = json.load(open(out))
    check(len(a["cxx"]) == 1 and len(a["reference"]) == 1 and len(a["ratios"]) == 1, "--out: runs and ratio")
    check(abs(a["ratios"][0]["speedup_p50"] - want) < 1e-6, "--out: the ratio")
    check("TorchScript" in so and "AOTInductor" not in so, "the demo models are named TorchScript")
    for names, want_name in ((("detector.pt2", "encoder.pt2", "decoder.pt2"), "AOTInductor,"),
                             (("detector.pt2", "encoder.pt", "decoder.pt"), "AOTInductor detector")):
        aoti = os.path.join(tmp, "aoti.json")
        json.dump(dict(d, detector=names[0], encoder=names[1], decoder=names[2]), open(aoti, "w"))
        rc, so, se = run("--cxx", aoti, "--ref", ref)
        check(rc == 0 and ("speed-up C++ cpu fp32, " + want_name.rstrip(",")) in so,
              "packages named in the run: %s (%s)" % (want_name, so.strip().splitlines()[1:2]))
    # igtbridge-bench gpu's JSON holds the pipeline's as "pipeline": read as a --cxx file.
    gpu = os.path.join(tmp, "gpu.json")
    json.dump({"tool": "igtbridge-bench gpu", "pipeline": d, "live": None, "references": []}, open(gpu, "w"))
    rc, so, se = run("--cxx", gpu, "--ref", ref)
    m = re.search(r"over Python eager fp32: ([0-9.]+)x", so)
    check(rc == 0 and m is not None and abs(float(m.group(1)) - want) <= 0.01 * want + 0.01,
          "an igtbridge-bench gpu file read as a C++ run (%s)" % (se.strip() or (m and m.group(1))))
    bad = os.path.join(tmp, "bad.json")
    open(bad, "w").write("{not json")
    for args, what in (((["--cxx", bad, "--ref", ref]), "malformed file"),
                       ((["--cxx", ref, "--ref", ref]), "reference file given as C++"),
                       ((["--cxx", os.path.join(tmp, "none.json"), "--ref", ref]), "missing file")):
        rc, so, se = run(*args)
        check(rc == 1 and len(se.strip().splitlines()) == 1 and "error" in se, "%s: exit 1, one line (%s)" % (
            what, se.strip()))

checks.finish()
