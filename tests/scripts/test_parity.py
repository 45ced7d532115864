#!/usr/bin/env python3
"""scripts/parity.py without a GPU or PyTorch: the pairing of a saved live run's label maps with their
input frames and KPI lines (in order, a listener that joined late, repeated timestamps of a looped
replay), the box and IoU measures, and one error line with exit 1 for a run that does not fit.

    python3 tests/scripts/test_parity.py SRC_DIR
"""

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from script_checks import Checks, run_script  # noqa: E402

src = sys.argv[1]
try:
    import numpy as np
except ImportError as e:
    print("SKIP: %s (install python3-numpy)" % e)
    sys.exit(77)
sys.path.insert(0, os.path.join(src, "scripts"))
import parity  # noqa: E402

checks = Checks("test_parity")
check = checks.check
W, H = 6, 4


def nrrd(path, pixels, ts):
    """An IMAGE as igtbridge-listen --save writes it (NRRD0004, raw uint8, igtl_timestamp)."""
    head = ("NRRD0004\ntype: uint8\ndimension: 3\nspace: right-anterior-superior\nsizes: %d %d 1\n"
            "space directions: (1,0,0) (0,1,0) (0,0,1)\nkinds: domain domain domain\nendian: little\n"
            "encoding: raw\nspace origin: (0,0,0)\nigtl_timestamp:=%.6f\n\n" % (W, H, ts))
    with open(path, "wb") as f:
        f.write(head.encode() + np.asarray(pixels, dtype=np.uint8).tobytes())


def kpi_line(frame, ts, tracks=(), failed=False):
    return json.dumps({"frame": frame, "timestamp": ts, "failed": failed, "e2e_ms": 1.0, "dropped": 0,
                       "tracks": [{"id": i, "state": "VISIBLE", "score": 0.9, "box": b} for i, b in tracks]})


with tempfile.TemporaryDirectory() as tmp:
    saved = os.path.join(tmp, "saved")
    os.mkdir(saved)
    img = lambda v: np.full((H, W), v, np.uint8)  # noqa: E731
    lab = lambda i: np.pad(np.full((2, 2), i, np.uint8), ((1, 1), (2, 2)))  # noqa: E731
    # A looped replay: timestamp 10.0 comes twice. The listener missed frame 1's label map (joined late);
    # frame 3 failed (no label map). Saved messages are numbered in arrival order.
    nrrd(os.path.join(saved, "Image_Reference_000001.nrrd"), img(1), 10.0)
    nrrd(os.path.join(saved, "Image_Reference_000002.nrrd"), img(2), 10.5)
    nrrd(os.path.join(saved, "BoneMask_000003.nrrd"), lab(2), 10.5)
    nrrd(os.path.join(saved, "Image_Reference_000004.nrrd"), img(3), 11.0)
    nrrd(os.path.join(saved, "Image_Reference_000005.nrrd"), img(4), 10.0)
    nrrd(os.path.join(saved, "BoneMask_000006.nrrd"), lab(4), 10.0)
    kpi = os.path.join(tmp, "kpi.jsonl")
    with open(kpi, "w") as f:
        f.write("\n".join([kpi_line(1, 10.0, [(1, [2, 1, 4, 3])]), kpi_line(2, 10.5, [(2, [2, 1, 4, 3])]),
                           kpi_line(3, 11.0, failed=True), kpi_line(4, 10.0, [(4, [2, 1, 4, 3])])]) + "\n")
    got = parity.paired_frames(saved, kpi, "Image_Reference", "BoneMask", 40)
    check([r["frame"] for r, _, _ in got] == [2, 4], "label maps paired with KPI lines 2 and 4 (%s)" % (
        [r["frame"] for r, _, _ in got]))
    check([int(p[0, 0]) for _, p, _ in got] == [2, 4], "each with the input sent just before it, not the "
                                                       "earlier frame of the same timestamp")
    check(all(p.shape == (H, W) and l.shape == (H, W) for _, p, l in got), "frames as [H, W]")
    check(int(got[1][2].max()) == 4 and int((got[1][2] == 4).sum()) == 4, "the label map's pixels")
    check(len(parity.paired_frames(saved, kpi, "Image_Reference", "BoneMask", 1)) == 1, "--frames limits")

    k, d = parity.nearest_box([10, 10, 20, 20], [[0, 0, 5, 5], [10.2, 9.9, 20.4, 20]])
    check(k == 1 and abs(d - 0.4) < 1e-9, "nearest box by the largest coordinate difference (%s, %s)" % (k, d))
    check(parity.percentile([0.9, 0.5, 0.7, 0.8], 0.5) == 0.8 and parity.percentile([3.0], 0.05) == 3.0
          and parity.percentile([4, 1, 3, 2], 0.0) == 1, "percentile: nearest rank of the sorted values")
    a = np.array([[1, 1], [0, 0]], bool)
    check(parity.region_iou(a, np.array([[1, 0], [0, 0]], bool)) == 0.5, "IoU 1/2")
    check(parity.region_iou(np.zeros(3, bool), np.zeros(3, bool)) == 1.0, "two empty regions agree")

    # A KPI file of another run: one error line, exit 1, before PyTorch is needed.
    other = os.path.join(tmp, "other.jsonl")
    with open(other, "w") as f:
        f.write(kpi_line(1, 99.0) + "\n")
    args = ["--saved", saved, "--kpi", other, "--detector", "d.pt", "--encoder", "e.pt", "--decoder", "m.pt"]
    rc, so, se = run_script(os.path.join(src, "scripts", "parity.py"), *args)
    check(rc == 1 and len(se.strip().splitlines()) == 1 and "no KPI line" in se, "another run's KPI: exit 1, "
                                                                                  "one line (%s)" % se.strip())
    rc, so, se = run_script(os.path.join(src, "scripts", "parity.py"), "--saved", os.path.join(tmp, "none"),
                            *args[2:])
    check(rc == 1 and len(se.strip().splitlines()) == 1 and "error" in se, "missing folder: exit 1, one line (%s)"
          % se.strip())

checks.finish()
