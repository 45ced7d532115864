#!/usr/bin/env python3
"""Report on a demo run: overlay PNGs of saved frames and a latency plot.

Reads what igtbridge-listen (the Slicer stand-in) saved with --save DIR and the
bridge's KPI file (JSON lines, one object per processed frame), then writes

  overlay_<NNNNNN>.png  up to --frames frames (default 4), spread evenly over
                        the frames that have both an ultrasound image and a
                        label map, preferring frames whose label map is not
                        empty: the grey image, the labels as a semi-transparent
                        colour overlay (one colour per track id) and the
                        contours as white lines (a colour no label uses).
                        NNNNNN is the arrival index of the image, as in
                        <image-device>_<NNNNNN>.nrrd; the title gives the
                        bridge's frame number (from the KPI file) and the
                        image's timestamp, the caption says what the models
                        find (--caption).
  latency.png           e2e latency histogram, latency over frame index with
                        p50/p95/p99 and the drops marked, per-stage p50/p95.

and prints a short summary. Exit status 0 on success, 1 with a one-line error
when the inputs are missing or unreadable.

What it expects in DIR (lib/tools/listen.cpp save_message):
  <device>_<NNNNNN>.nrrd  every IMAGE: NRRD0004, raw little-endian data, space
                          right-anterior-superior, `space directions` (columns
                          of IJK->RAS), `space origin` = RAS centre of voxel
                          (0,0,0), key-value `igtl_timestamp:=<seconds>`.
  <device>_<NNNNNN>.vtk   every POLYDATA: legacy ASCII POLYDATA, POINTS in RAS,
                          LINES / POLYGONS, CELL_DATA `SCALARS label float 1`.
NNNNNN counts all messages in arrival order; the device name is sanitised
(characters other than [A-Za-z0-9_.-] become '_').
The image and its label map are paired by equal igtl_timestamp; the contour of
a label map is the first contour POLYDATA that arrives after it (and before the
next label map).

Usage:
  python3 scripts/demo_report.py --saved DIR --kpi FILE --out DIR [--frames N]
      [--image-device Image_Reference] [--mask-device BoneMask]
      [--contour-device BoneContour]

Needs numpy and matplotlib (Debian: apt-get install python3-numpy python3-matplotlib).
"""

import argparse
import gzip
import json
import math
import os
import re
import sys

try:
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
    import matplotlib.patheffects as path_effects
except ImportError as e:  # one clear line instead of a traceback, named after the script that ran
    sys.exit("%s: error: %s (install python3-numpy and python3-matplotlib, "
             "and run the python3 they belong to, e.g. /usr/bin/python3)"
             % (os.path.splitext(os.path.basename(sys.argv[0] or "demo_report"))[0] or "demo_report", e))

PROG = "demo_report"


class ReportError(Exception):
    """An input problem, reported as one line."""


def warn(msg):
    print("%s: warning: %s" % (PROG, msg), file=sys.stderr)


def safe_name(device):
    """The file-name form of a device name, as listen.cpp safe_name() makes it."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", device) if device else "unnamed"


# ---------------------------------------------------------------------------
# Stable colour table: id -> RGB in [0, 1], 16 distinct colours that stand out
# on a grey ultrasound image, repeating from id 17 on. scripts/slicer_setup.py
# uses the same table, so a track has the same colour here and in Slicer.

PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
           (170, 110, 40), (170, 255, 195), (128, 128, 0), (255, 215, 180)]


def label_color(label_id):
    r, g, b = PALETTE[(int(label_id) - 1) % len(PALETTE)]
    return (r / 255.0, g / 255.0, b / 255.0)


# ---------------------------------------------------------------------------
# NRRD (attached header, raw or gzip data)

NRRD_TYPES = {
    "int8": "i1", "signed char": "i1", "int8_t": "i1",
    "uint8": "u1", "uchar": "u1", "unsigned char": "u1", "uint8_t": "u1",
    "int16": "i2", "short": "i2", "short int": "i2", "signed short": "i2", "int16_t": "i2",
    "uint16": "u2", "ushort": "u2", "unsigned short": "u2", "uint16_t": "u2",
    "int32": "i4", "int": "i4", "signed int": "i4", "int32_t": "i4",
    "uint32": "u4", "uint": "u4", "unsigned int": "u4", "uint32_t": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}


class Nrrd:
    """Header fields, key-values, geometry, and (on demand) the pixels.

    pixels(): array indexed [k, j, i] (scalar) or [k, j, i, c] (vector), i.e.
    row j of slice k is one image row, i the column (the NRRD's fast axis).
    """

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            head = f.read(65536)
            end = head.find(b"\n\n")
            if not head.startswith(b"NRRD") or end < 0:
                raise ReportError("%s: not an NRRD file with an attached header" % path)
        self.data_offset = end + 2
        self.fields, self.keys = {}, {}
        for line in head[:end].decode("latin-1").split("\n")[1:]:
            line = line.rstrip("\r")
            if not line or line.startswith("#"):
                continue
            kv, fd = line.find(":="), line.find(": ")
            if kv >= 0 and (fd < 0 or kv < fd):
                value = line[kv + 2:].replace("\\n", "\n").replace("\\\\", "\\")
                self.keys[line[:kv]] = value
            elif fd >= 0:
                self.fields[line[:fd].strip().lower()] = line[fd + 2:].strip()
        try:
            self.dtype = np.dtype(NRRD_TYPES[self.fields["type"].lower()])
            self.sizes = [int(s) for s in self.fields["sizes"].split()]
            enc = self.fields.get("encoding", "raw").lower()
        except (KeyError, ValueError) as e:
            raise ReportError("%s: bad or missing NRRD field %s" % (path, e))
        if enc not in ("raw", "gzip", "gz"):
            raise ReportError("%s: NRRD encoding '%s' is not supported (raw or gzip)" % (path, enc))
        if "data file" in self.fields or "datafile" in self.fields:
            raise ReportError("%s: detached NRRD data is not supported" % path)
        self.encoding = enc
        if self.dtype.itemsize > 1:
            big = self.fields.get("endian", "little").lower() == "big"
            self.dtype = self.dtype.newbyteorder(">" if big else "<")
        # Geometry. Vector images have a leading "none" direction (4 axes).
        dirs = re.findall(r"\(([^)]*)\)|none", self.fields.get("space directions", ""))
        vecs = [[float(x) for x in d.split(",")] for d in dirs if d]
        self.components = self.sizes[0] if len(self.sizes) == 4 else 1
        self.dims = self.sizes[-3:] if len(self.sizes) >= 3 else self.sizes + [1] * (3 - len(self.sizes))
        if len(vecs) == 3 and all(len(v) == 3 for v in vecs):
            self.directions = np.array(vecs, dtype=float).T  # columns = i, j, k
        else:
            self.directions = np.eye(3)
        m = re.match(r"\(([^)]*)\)", self.fields.get("space origin", ""))
        self.origin = np.array([float(x) for x in m.group(1).split(",")]) if m else np.zeros(3)
        if self.fields.get("space", "right-anterior-superior").lower() in ("left-posterior-superior", "lps"):
            flip = np.diag([-1.0, -1.0, 1.0])  # to RAS
            self.directions, self.origin = flip @ self.directions, flip @ self.origin
        ts = self.keys.get("igtl_timestamp")
        try:
            self.timestamp = float(ts) if ts is not None else None
        except ValueError:
            self.timestamp = None

    @property
    def spacing(self):
        return np.linalg.norm(self.directions, axis=0)

    def raw_bytes(self):
        with open(self.path, "rb") as f:
            f.seek(self.data_offset)
            data = f.read()
        if self.encoding != "raw":
            data = gzip.decompress(data)
        return data

    def pixels(self):
        count = int(np.prod(self.sizes))
        data = self.raw_bytes()
        if len(data) < count * self.dtype.itemsize:
            raise ReportError("%s: truncated data (%d of %d bytes)" % (self.path, len(data), count * self.dtype.itemsize))
        a = np.frombuffer(data, dtype=self.dtype, count=count)
        shape = [self.dims[2], self.dims[1], self.dims[0]] + ([self.components] if self.components > 1 else [])
        return a.reshape(shape)

    def ras_to_ij(self, ras):
        """RAS points (n x 3) -> continuous (i, j) pixel coordinates (n x 2);
        integers are voxel centres. ijk = inv(D) (ras - origin)."""
        ijk = (np.linalg.pinv(self.directions) @ (np.asarray(ras, float) - self.origin).T).T
        return ijk[:, :2]


# ---------------------------------------------------------------------------
# Legacy VTK POLYDATA (ASCII, as lib/io/vtk_writer.cpp writes it)

def read_vtk_polydata(path):
    """Returns (points n x 3, list of (cell point-index list, label or None)).

    Cells are lines and polygons (vertices are skipped); label is the cell's
    value of the CELL_DATA scalar 'label' when present.
    """
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n", 4)
    if len(lines) < 5 or not lines[0].startswith(b"# vtk DataFile"):
        raise ReportError("%s: not a legacy VTK file" % path)
    if lines[2].strip().upper() != b"ASCII":
        raise ReportError("%s: only ASCII legacy VTK is supported (igtbridge writes ASCII)" % path)
    if not lines[3].strip().upper().startswith(b"DATASET POLYDATA"):
        raise ReportError("%s: not a POLYDATA data set" % path)
    tok = lines[4].decode("latin-1").split()
    pos = 0
    points = np.zeros((0, 3))
    cell_groups = {}  # keyword -> list of index lists
    cell_data = {}
    n_cells_total = 0
    section = None

    def take(n):
        nonlocal pos
        if pos + n > len(tok):
            raise ReportError("%s: truncated VTK file" % path)
        out = tok[pos:pos + n]
        pos += n
        return out

    try:
        while pos < len(tok):
            kw = tok[pos].upper()
            pos += 1
            if kw == "POINTS":
                n, _ = int(tok[pos]), tok[pos + 1]
                pos += 2
                points = np.array(take(3 * n), dtype=float).reshape(n, 3)
            elif kw in ("VERTICES", "LINES", "POLYGONS", "TRIANGLE_STRIPS"):
                n, size = int(tok[pos]), int(tok[pos + 1])
                pos += 2
                if pos < len(tok) and tok[pos].upper() == "OFFSETS":
                    raise ReportError("%s: VTK 5.1 OFFSETS/CONNECTIVITY cells are not supported" % path)
                flat = [int(x) for x in take(size)]
                cells, k = [], 0
                for _ in range(n):
                    m = flat[k]
                    cells.append(flat[k + 1:k + 1 + m])
                    k += 1 + m
                cell_groups[kw] = cells
                n_cells_total += n
            elif kw in ("CELL_DATA", "POINT_DATA"):
                section = kw
                pos += 1
            elif kw == "SCALARS":
                name, ncomp = tok[pos], 1
                pos += 2
                if pos < len(tok) and tok[pos].isdigit():
                    ncomp = int(tok[pos])
                    pos += 1
                if pos < len(tok) and tok[pos].upper() == "LOOKUP_TABLE":
                    pos += 2
                count = n_cells_total if section == "CELL_DATA" else len(points)
                vals = np.array(take(count * ncomp), dtype=float).reshape(count, ncomp)
                name = re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), name)
                if section == "CELL_DATA":
                    cell_data[name] = vals
            elif kw == "FIELD":
                nfields = int(tok[pos + 1])
                pos += 2
                for _ in range(nfields):
                    _, ncomp, ntup = tok[pos], int(tok[pos + 1]), int(tok[pos + 2])
                    pos += 4
                    take(ncomp * ntup)
            else:
                raise ReportError("%s: unexpected VTK keyword '%s'" % (path, tok[pos - 1]))
    except (ValueError, IndexError) as e:
        raise ReportError("%s: malformed VTK file (%s)" % (path, e))

    labels = cell_data.get("label")
    out, offset = [], 0
    for kw in ("VERTICES", "LINES", "POLYGONS", "TRIANGLE_STRIPS"):  # legacy cell order
        for c in cell_groups.get(kw, []):
            if kw in ("LINES", "POLYGONS") and c:
                lab = int(round(labels[offset, 0])) if labels is not None and offset < len(labels) else None
                if kw == "POLYGONS" and c[0] != c[-1]:
                    c = c + [c[0]]  # close the polygon for drawing
                out.append((c, lab))
            offset += 1
    return points, out


# ---------------------------------------------------------------------------
# Saved messages

FILE_RE = re.compile(r"^(?P<dev>.+)_(?P<idx>\d{6,})\.(?P<ext>nrrd|vtk)$")


def scan_saved(saved):
    """{(device, ext): [(index, path), ...] sorted by index}."""
    found = {}
    for name in os.listdir(saved):
        m = FILE_RE.match(name)
        if m:
            key = (m.group("dev"), m.group("ext"))
            found.setdefault(key, []).append((int(m.group("idx")), os.path.join(saved, name)))
    for v in found.values():
        v.sort()
    return found


def ts_key(t):
    return None if t is None else round(t, 6)


def pair_frames(found, image_dev, mask_dev, contour_dev):
    """List of dicts {image, mask, contour path or None, index} in arrival order."""
    def headers(dev):
        out = []
        for idx, path in found.get((dev, "nrrd"), []):
            try:
                out.append((idx, Nrrd(path)))
            except (ReportError, OSError) as e:
                warn("skipped %s" % e)
        return out

    images, masks = headers(image_dev), headers(mask_dev)
    if not images:
        raise ReportError("no %s_NNNNNN.nrrd images in the saved directory" % image_dev)
    if not masks:
        raise ReportError("no %s_NNNNNN.nrrd label maps in the saved directory" % mask_dev)
    by_ts = {}
    for idx, img in images:
        by_ts.setdefault(ts_key(img.timestamp), []).append((idx, img))
    contours = found.get((contour_dev, "vtk"), [])
    frames, unpaired = [], 0
    for n, (midx, mask) in enumerate(masks):
        cands = by_ts.get(ts_key(mask.timestamp)) if mask.timestamp is not None else None
        if not cands:
            unpaired += 1
            continue
        before = [c for c in cands if c[0] < midx]
        iidx, img = (before or cands)[-1]  # the latest image with that timestamp sent before the mask
        if list(img.dims) != list(mask.dims):
            warn("%s and %s differ in size; skipped" % (img.path, mask.path))
            continue
        next_midx = masks[n + 1][0] if n + 1 < len(masks) else float("inf")
        contour = next((p for cidx, p in contours if midx < cidx < next_midx), None)
        frames.append({"index": iidx, "image": img, "mask": mask, "contour": contour})
    if unpaired:
        warn("%d of %d label maps have no %s image with the same igtl_timestamp" % (unpaired, len(masks), image_dev))
    if not frames:
        raise ReportError("no paired frames: no %s label map has a %s image with the same igtl_timestamp"
                          % (mask_dev, image_dev))
    return frames


def spread(items, n):
    """Up to n items evenly spread over the list (first and last included)."""
    if n <= 0 or not items:
        return []
    if len(items) <= n:
        return list(items)
    picks = np.unique(np.round(np.linspace(0, len(items) - 1, n)).astype(int))
    return [items[i] for i in picks]


def choose_frames(frames, n):
    """n frames spread evenly, preferring those whose label map is not empty."""
    for f in frames:
        try:
            f["nonempty"] = any(f["mask"].raw_bytes()) if f["mask"].encoding == "raw" else bool(f["mask"].pixels().any())
        except (OSError, ReportError) as e:
            warn("cannot read %s: %s" % (f["mask"].path, e))
            f["nonempty"] = None
    readable = [f for f in frames if f["nonempty"] is not None]
    full = [f for f in readable if f["nonempty"]]
    chosen = spread(full, n)
    if len(chosen) < n:
        chosen += spread([f for f in readable if not f["nonempty"]], n - len(chosen))
    return sorted(chosen, key=lambda f: f["index"])


# ---------------------------------------------------------------------------
# KPI

def read_kpi(path):
    if not os.path.isfile(path):
        raise ReportError("KPI file %s does not exist" % path)
    records, bad = [], 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(r, dict):
                records.append(r)
            else:
                bad += 1
    if bad:
        warn("%s: %d lines that are not JSON objects were skipped" % (path, bad))
    if not records:
        raise ReportError("no KPI lines in %s" % path)
    return records


def num(v):
    """v as a finite float, else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def pct(values, q):
    return float(np.percentile(values, q)) if len(values) else float("nan")


class Kpi:
    def __init__(self, records):
        self.records = records
        self.n = len(records)
        self.failed = [bool(r.get("failed", False)) for r in records]
        self.x = np.array([num(r.get("frame")) if num(r.get("frame")) is not None else i
                           for i, r in enumerate(records)], dtype=float)
        self.e2e = np.array([num(r.get("e2e_ms")) if num(r.get("e2e_ms")) is not None else np.nan
                             for r in records], dtype=float)
        ok = ~np.isnan(self.e2e) & ~np.array(self.failed, dtype=bool)
        self.ok = ok
        self.e2e_ok = self.e2e[ok]
        drops = [num(r.get("dropped")) for r in records]
        self.dropped = np.array([d if d is not None else np.nan for d in drops], dtype=float)
        known = [d for d in drops if d is not None]
        self.dropped_last = int(known[-1]) if known else None
        self.stages = {}  # name -> list of ms over ok frames, in first-seen order
        for r, good in zip(records, ok):
            st = r.get("stages_ms")
            if good and isinstance(st, dict):
                for k, v in st.items():
                    if num(v) is not None:
                        self.stages.setdefault(str(k), []).append(num(v))
        ts = [num(r.get("timestamp")) for r in records]
        first = next((t for t in ts if t is not None), None)
        # Seconds since the first frame's timestamp (NaN where a line has none).
        self.t = np.array([t - first if t is not None else np.nan for t in ts], dtype=float)
        ts = [t for t in ts if t is not None]
        self.fps = (len(ts) - 1) / (max(ts) - min(ts)) if len(ts) >= 2 and max(ts) > min(ts) else None
        self.by_ts = {ts_key(num(r.get("timestamp"))): r for r in records if num(r.get("timestamp")) is not None}

    def record_at(self, timestamp):
        """The KPI line of the frame with this timestamp, or None."""
        return self.by_ts.get(ts_key(timestamp)) if timestamp is not None else None

    def tracks_at(self, timestamp):
        r = self.by_ts.get(ts_key(timestamp))
        tracks = r.get("tracks") if r else None
        out = {}
        if isinstance(tracks, list):
            for t in tracks:
                if isinstance(t, dict) and num(t.get("id")) is not None:
                    out[int(t["id"])] = t
        return out


# ---------------------------------------------------------------------------
# Plots

def to_grey(img):
    """2D float array in [0, 1] from the image's first slice."""
    a = img[0].astype(float)
    if a.ndim == 3:  # vector: RGB(A) -> luminance, else the first component
        a = a[..., :3] @ np.array([0.299, 0.587, 0.114]) if a.shape[-1] >= 3 else a[..., 0]
    if img.dtype == np.uint8:
        return a / 255.0
    lo, hi = np.percentile(a, [1, 99.5])
    return np.clip((a - lo) / (hi - lo), 0, 1) if hi > lo else np.zeros_like(a)


DEMO_CAPTION = "demo models: bright-echo regions, not a trained bone model"

# Contours are drawn in white with a dark edge: no label colour is white, so a
# contour is never mistaken for a label's fill.
CONTOUR_COLOR = (1.0, 1.0, 1.0)


def draw_overlay(frame, kpi, image_dev, out_path, caption=DEMO_CAPTION):
    img, mask = frame["image"], frame["mask"]
    grey = to_grey(img.pixels())
    lab = mask.pixels()
    lab = (lab[0] if lab.ndim == 3 else lab[0, ..., 0]).astype(int)
    h, w = grey.shape
    sp = img.spacing
    aspect = sp[1] / sp[0] if sp[0] > 0 and sp[1] > 0 else 1.0

    ids = sorted(int(v) for v in np.unique(lab) if v != 0)
    rgba = np.zeros((h, w, 4))
    for i in ids:
        rgba[lab == i] = (*label_color(i), 0.40)

    contour_cells, contour_pts = [], None
    if frame["contour"]:
        try:
            pts, cells = read_vtk_polydata(frame["contour"])
            contour_pts = mask.ras_to_ij(pts) if len(pts) else np.zeros((0, 2))
            contour_cells = cells
        except (ReportError, OSError) as e:
            warn("contour not drawn: %s" % e)

    fig_w = 9.0
    fig_h = min(max(fig_w * h * aspect / w + 0.9, 3.0), 14.0)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h), dpi=110)
    ax.imshow(grey, cmap="gray", vmin=0, vmax=1, interpolation="nearest", aspect=aspect)
    if ids:
        ax.imshow(rgba, interpolation="nearest", aspect=aspect)
    contour_ids = set()
    edge = [path_effects.Stroke(linewidth=2.8, foreground="black"), path_effects.Normal()]
    for cell, cid in contour_cells:
        xy = contour_pts[cell]
        ax.plot(xy[:, 0], xy[:, 1], "-", color=CONTOUR_COLOR, lw=1.3, solid_joinstyle="round", path_effects=edge)
        if cid:
            contour_ids.add(cid)
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)  # row 0 at the top
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("column i (pixels)")
    ax.set_ylabel("row j (pixels)")

    tracks = kpi.tracks_at(img.timestamp) if kpi else {}
    handles = []
    for i in sorted(set(ids) | contour_ids):
        t = tracks.get(i, {})
        extra = " ".join(str(s) for s in (t.get("state"),
                                          ("%.2f" % t["score"]) if num(t.get("score")) is not None else None) if s)
        handles.append(Patch(facecolor=(*label_color(i), 0.6), edgecolor=label_color(i),
                             label="id %d%s%s" % (i, "  " if extra else "", extra)))
    if contour_cells:
        handles.append(Line2D([], [], color=CONTOUR_COLOR, lw=1.3, path_effects=edge, label="contour"))
    if handles:
        leg = ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.75)
        leg.get_frame().set_facecolor((0.5, 0.5, 0.5))
    n_pts = sum(len(c) for c, _ in contour_cells)
    record = kpi.record_at(img.timestamp) if kpi else None
    number = ("frame %d" % int(record["frame"])) if record and num(record.get("frame")) is not None \
        else "arrival #%d (no KPI line)" % frame["index"]
    ax.set_title("%s %s   t = %.3f s\nids: %s   contours: %d loops, %d points%s"
                 % (image_dev, number, img.timestamp if img.timestamp is not None else float("nan"),
                    ", ".join(map(str, ids)) if ids else "none", len(contour_cells), n_pts,
                    "" if frame["contour"] else " (no contour file)"), fontsize=10)
    if caption:
        fig.text(0.5, 0.005, caption, ha="center", va="bottom", fontsize=9, style="italic")
    fig.tight_layout(rect=(0, 0.035 if caption else 0, 1, 1))
    fig.savefig(out_path)
    plt.close(fig)


def draw_latency(kpi, out_path, x_axis="frame", title=None):
    """Histogram, per-stage bars and latency over frames (x_axis="frame") or
    over the frames' timestamps (x_axis="time", seconds since the first)."""
    x = kpi.x if x_axis == "frame" else kpi.t
    fig = plt.figure(figsize=(12, 8), dpi=100)
    if title:
        fig.suptitle(title)
    gs = fig.add_gridspec(2, 2, height_ratios=[1, 1.1])
    ax_h, ax_s, ax_t = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1]), fig.add_subplot(gs[1, :])
    marks = [(50, "tab:green"), (95, "tab:orange"), (99, "tab:red")]
    e2e = kpi.e2e_ok

    if len(e2e):
        ax_h.hist(e2e, bins=min(60, max(10, len(e2e) // 5)), color="tab:blue", alpha=0.8)
        for q, c in marks:
            v = pct(e2e, q)
            ax_h.axvline(v, color=c, ls="--", lw=1.2, label="p%d %.2f ms" % (q, v))
        ax_h.legend(fontsize=8)
    else:
        ax_h.text(0.5, 0.5, "no e2e_ms values", ha="center", va="center", transform=ax_h.transAxes)
    ax_h.set_xlabel("end-to-end latency (ms)")
    ax_h.set_ylabel("frames")
    ax_h.set_title("e2e latency, %d frames" % len(e2e))

    if kpi.stages:
        names = list(kpi.stages)
        p50 = [pct(kpi.stages[k], 50) for k in names]
        p95 = [pct(kpi.stages[k], 95) for k in names]
        y = np.arange(len(names))
        ax_s.barh(y + 0.2, p50, height=0.4, color="tab:blue", label="p50")
        ax_s.barh(y - 0.2, p95, height=0.4, color="tab:orange", alpha=0.7, label="p95")
        for yy, v50 in zip(y, p50):
            ax_s.text(v50, yy + 0.2, " %.2f" % v50, va="center", fontsize=7)
        ax_s.set_xlim(0, max(p95 + p50) * 1.15 or 1.0)
        ax_s.set_yticks(y, names)
        ax_s.invert_yaxis()
        ax_s.legend(fontsize=8)
    else:
        ax_s.text(0.5, 0.5, "no stages_ms", ha="center", va="center", transform=ax_s.transAxes)
        ax_s.set_xticks([])
        ax_s.set_yticks([])
    ax_s.set_xlabel("ms")
    ax_s.set_title("per-stage time")

    ax_t.plot(x[kpi.ok], kpi.e2e[kpi.ok], ".-", ms=3, lw=0.6, color="tab:blue", label="e2e")
    if len(e2e):
        for q, c in marks:
            ax_t.axhline(pct(e2e, q), color=c, ls="--", lw=1, label="p%d" % q)
    top = float(np.nanmax(kpi.e2e)) if np.isfinite(kpi.e2e).any() else 1.0
    # Drops: where the cumulative count grows, the new drops happened before this frame.
    d = kpi.dropped
    inc = np.zeros(len(d), dtype=bool)
    prev = 0.0
    for i, v in enumerate(d):
        if not np.isnan(v):
            inc[i] = v > prev
            prev = v
    if inc.any():
        total = int(kpi.dropped_last or 0)
        ax_t.vlines(x[inc], 0, top * 1.05, colors="tab:red", alpha=0.25, lw=1)
        ax_t.plot(x[inc], np.full(inc.sum(), top * 1.05), "v", color="tab:red", ms=5,
                  label="drops (%d in all)" % total)
        if inc.sum() <= 60:  # how many were dropped before each marked frame
            last = 0.0
            for i in range(len(d)):
                if inc[i]:
                    ax_t.text(x[i], top * 1.08, "+%d" % (d[i] - last), ha="center", fontsize=7, color="tab:red")
                if not np.isnan(d[i]):
                    last = d[i]
    failed = np.array(kpi.failed, dtype=bool)
    if failed.any():
        ax_t.plot(x[failed], np.full(failed.sum(), top * 0.02), "x", color="black", ms=6,
                  label="failed (%d)" % failed.sum())
    ax_t.set_ylim(0, top * 1.3)
    ax_t.set_xlabel("frame" if x_axis == "frame" else "time since the first frame (s)")
    ax_t.set_ylabel("e2e latency (ms)")
    ax_t.set_title("latency over frames" if x_axis == "frame" else "latency over time")
    ax_t.legend(fontsize=8, loc="upper center", ncol=6)
    fig.tight_layout()
    fig.savefig(out_path)
    plt.close(fig)


# ---------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--saved", required=True, help="directory igtbridge-listen --save wrote")
    ap.add_argument("--kpi", required=True, help="KPI file (JSON lines)")
    ap.add_argument("--out", required=True, help="output directory for the PNGs")
    ap.add_argument("--frames", type=int, default=4, help="overlay PNGs to write (default 4)")
    ap.add_argument("--image-device", default="Image_Reference")
    ap.add_argument("--mask-device", default="BoneMask")
    ap.add_argument("--contour-device", default="BoneContour")
    ap.add_argument("--caption", default=DEMO_CAPTION,
                    help="line under each overlay: what the models find (default: the demo models'); '' for none")
    a = ap.parse_args(argv)
    try:
        if a.frames < 0:
            raise ReportError("--frames must be 0 or more")
        if not os.path.isdir(a.saved):
            raise ReportError("saved directory %s does not exist" % a.saved)
        kpi = Kpi(read_kpi(a.kpi))
        found = scan_saved(a.saved)
        image_dev, mask_dev, contour_dev = (safe_name(d) for d in (a.image_device, a.mask_device, a.contour_device))
        frames = pair_frames(found, image_dev, mask_dev, contour_dev)
        chosen = choose_frames(frames, a.frames)
        os.makedirs(a.out, exist_ok=True)

        written = []
        for f in chosen:
            path = os.path.join(a.out, "overlay_%06d.png" % f["index"])
            try:
                draw_overlay(f, kpi, a.image_device, path, caption=a.caption)
                written.append(path)
            except ReportError as e:  # one unreadable frame does not spoil the report
                plt.close("all")
                warn("overlay not written: %s" % e)
        path = os.path.join(a.out, "latency.png")
        draw_latency(kpi, path)
        written.append(path)
    except (ReportError, OSError) as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1

    nonempty = sum(1 for f in frames if f.get("nonempty"))
    print("frames processed: %d (KPI lines)" % kpi.n)
    print("failed:           %d" % sum(kpi.failed))
    print("dropped:          %s" % (kpi.dropped_last if kpi.dropped_last is not None else "n/a"))
    print("fps:              %s" % ("%.1f (from timestamps)" % kpi.fps if kpi.fps else "n/a"))
    if len(kpi.e2e_ok):
        print("e2e ms:           p50 %.2f  p95 %.2f  p99 %.2f  max %.2f"
              % (pct(kpi.e2e_ok, 50), pct(kpi.e2e_ok, 95), pct(kpi.e2e_ok, 99), kpi.e2e_ok.max()))
    else:
        print("e2e ms:           n/a")
    if kpi.stages:
        print("stage p50 ms:     " + "  ".join("%s %.2f" % (k, pct(v, 50)) for k, v in kpi.stages.items()))
    print("saved frames:     %d paired image + label map, %d with labels, %d with a contour"
          % (len(frames), nonempty, sum(1 for f in frames if f["contour"])))
    print("written:")
    for p in written:
        print("  " + p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
