#!/usr/bin/env python3
"""The Python reference of the pipeline: D-FINE -> Hungarian matcher -> MobileSAM -> label map.

    scripts/reference_pipeline.py --dfine-repo upstream/D-FINE --mobilesam-repo upstream/MobileSAM \
        --frames 300 --recording tests/data/SpinePhantomFreehand.igs.mha \
        --precision fp16 --mode compile --json out/ref_fp16_compile.json

    or with exported TorchScript modules (eager mode only):
    scripts/reference_pipeline.py --detector dfine.pt --encoder encoder.pt --decoder decoder.pt ...

The seeds' prototype design, GPU-resident as their refactor describes: the
frame is uploaded once, preprocessing, detection, top-k, the match costs,
segmentation, mask upsampling and label composition run on the GPU, and the
label map comes back with one final .cpu() per frame. The exact assignment
itself runs on the CPU (scipy.optimize.linear_sum_assignment, or a small
Hungarian implementation here when scipy is missing): the KxT cost matrix
goes down and the resulting index list up, a small copy each way, as a Python
user would do it. The copy counts per frame are measured and printed.

Preprocessing follows the C++ side (lib/pipeline/stages/preprocess.cpp, segment.cpp,
detect.cpp, tracking/): grey uint8 -> [0, 1]; detector input = bilinear resize
(align_corners=False) to 640x640, 3 channels; segmenter input = longest side
1024 (llround), ImageNet normalisation on the 0-255 scale, zero-padded
bottom/right; detections = top-k over Q*C sigmoid scores; match cost =
focal class cost of the detection score + 5 * L1(cx, cy, w, h) - 2 * GIoU,
gated at 1.0; masks = mask logits upsampled to 1024, un-padded, resized to
the frame, > 0; label = max over masks of (mask * track id) as uint8.

Random weights make every score about 0.01, so by default every one of the
top-k (10) candidates is kept (--score-threshold 0): the segmenter decodes 10
boxes a frame, the "about ten objects" of the plan, whatever the weights.

Modes: eager (plain PyTorch) and compile (torch.compile(mode="reduce-overhead")
of the three modules and of the fixed-shape tensor functions; needs the
in-process modules). Timing is per frame, end to end: from the upload of the
numpy frame to the final .cpu() of the label map, warm-up frames excluded.
"""

import argparse
import json
import math
import os
import platform
import sys
import time
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

MET_TYPES = {
    "MET_UCHAR": np.uint8, "MET_CHAR": np.int8, "MET_USHORT": np.uint16, "MET_SHORT": np.int16,
    "MET_UINT": np.uint32, "MET_INT": np.int32, "MET_FLOAT": np.float32, "MET_DOUBLE": np.float64,
}


def read_mha(path):
    """Frames of a PLUS sequence MetaImage (.mha, ElementDataFile = LOCAL) as [N, H, W] (or [N, H, W, C])."""
    with open(path, "rb") as f:
        data = f.read()
    hdr = {}
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise ValueError("%s: no 'ElementDataFile = LOCAL' line" % path)
        line = data[pos:nl].decode("latin-1").strip()
        pos = nl + 1
        if "=" in line:
            k, v = line.split("=", 1)
            hdr[k.strip()] = v.strip()
            if k.strip() == "ElementDataFile":
                if v.strip() != "LOCAL":
                    raise ValueError("%s: only ElementDataFile = LOCAL is read" % path)
                break
    dims = [int(d) for d in hdr["DimSize"].split()]
    w, h = dims[0], dims[1]
    n = dims[2] if len(dims) > 2 else 1
    ch = int(hdr.get("ElementNumberOfChannels", "1"))
    dt = np.dtype(MET_TYPES[hdr.get("ElementType", "MET_UCHAR")])
    dt = dt.newbyteorder(">" if hdr.get("BinaryDataByteOrderMSB", hdr.get("ElementByteOrderMSB", "False")).lower()
                         == "true" else "<")
    raw = data[pos:]
    if hdr.get("CompressedData", "False").lower() == "true":
        size = int(hdr.get("CompressedDataSize", len(raw)))
        raw = zlib.decompress(raw[:size])
    count = w * h * n * ch
    arr = np.frombuffer(raw, dtype=dt, count=count)
    arr = arr.reshape(n, h, w, ch) if ch > 1 else arr.reshape(n, h, w)
    return np.ascontiguousarray(arr.astype(dt.newbyteorder("="), copy=False))


def linear_sum_assignment_small(cost):
    """Exact rectangular assignment (Hungarian, shortest augmenting paths); scipy's fallback here."""
    c = np.asarray(cost, dtype=np.float64)
    transposed = c.shape[0] > c.shape[1]
    if transposed:
        c = c.T
    n, m = c.shape
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    p = [0] * (m + 1)
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = c[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    rows = np.array([p[j] - 1 for j in range(1, m + 1) if p[j]], dtype=np.int64)
    cols = np.array([j - 1 for j in range(1, m + 1) if p[j]], dtype=np.int64)
    if transposed:
        rows, cols = cols, rows
    order = np.argsort(rows)
    return rows[order], cols[order]


try:
    from scipy.optimize import linear_sum_assignment

    MATCHER = "scipy.optimize.linear_sum_assignment"
except Exception:  # scipy missing
    linear_sum_assignment = linear_sum_assignment_small
    MATCHER = "built-in Hungarian (scipy missing)"


def main():
    import torch
    import torch.nn.functional as F

    from igtb_torch_common import DTYPES, SAM_PIXEL_MEAN, SAM_PIXEL_STD, count_copies

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detector", help="TorchScript detector (export_dfine.py)")
    ap.add_argument("--encoder", help="TorchScript encoder.pt (export_mobilesam.py)")
    ap.add_argument("--decoder", help="TorchScript decoder.pt (export_mobilesam.py)")
    ap.add_argument("--dfine-repo", help="build D-FINE in-process from this upstream checkout")
    ap.add_argument("--dfine-checkpoint")
    ap.add_argument("--dfine-size", default="s")
    ap.add_argument("--mobilesam-repo", help="build MobileSAM in-process from this upstream checkout")
    ap.add_argument("--mobilesam-checkpoint")
    ap.add_argument("--recording", default=os.path.join(HERE, "..", "tests", "data", "SpinePhantomFreehand.igs.mha"))
    ap.add_argument("--frames", type=int, default=300, help="timed frames (the recording loops)")
    ap.add_argument("--warmup", type=int, default=30, help="untimed frames first")
    ap.add_argument("--precision", default="fp32", choices=sorted(DTYPES))
    ap.add_argument("--mode", default="eager", choices=["eager", "compile"])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--score-threshold", type=float, default=0.0)
    ap.add_argument("--gate", type=float, default=1.0)
    ap.add_argument("--max-age", type=int, default=5, help="frames an unmatched track is kept")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    dev = torch.device(args.device)
    dtype = DTYPES[args.precision]
    memory_before = None
    if dev.type == "cuda":  # measured as igtbridge-bench does: in use after the run less before the models
        torch.zeros(1, device=dev)  # the CUDA context exists in both figures
        free, total = torch.cuda.mem_get_info(dev)
        memory_before = total - free
    frames = read_mha(args.recording)
    if frames.ndim == 4:
        frames = frames[..., 0]
    nf, H, W = frames.shape
    print("[reference] %s: %d frames %dx%d %s" % (os.path.basename(args.recording), nf, W, H, frames.dtype))

    weights = {}
    if args.dfine_repo:
        from export_dfine import build_dfine

        detector, info = build_dfine(args.dfine_repo, args.dfine_size, args.dfine_checkpoint, dev, dtype)
        weights["detector"] = "D-FINE-%s in-process, %s" % (args.dfine_size.upper(), info["weights"])
    elif args.detector:
        detector = torch.jit.load(args.detector, map_location=dev).eval()
        detector.to(dtype)
        weights["detector"] = "TorchScript " + args.detector
    else:
        raise SystemExit("give --dfine-repo or --detector")
    if args.mobilesam_repo:
        from export_mobilesam import SamBoxDecoder, SamEncoder, build_mobilesam

        sam, w = build_mobilesam(args.mobilesam_repo, args.mobilesam_checkpoint, dev)
        encoder = SamEncoder(sam).eval().to(dtype)
        decoder = SamBoxDecoder(sam).eval().to(dtype)
        weights["segmenter"] = "MobileSAM in-process, %s" % w
    elif args.encoder and args.decoder:
        encoder = torch.jit.load(args.encoder, map_location=dev).eval()
        decoder = torch.jit.load(args.decoder, map_location=dev).eval()
        encoder.to(dtype)
        decoder.to(dtype)
        weights["segmenter"] = "TorchScript %s + %s" % (args.encoder, args.decoder)
    else:
        raise SystemExit("give --mobilesam-repo or --encoder and --decoder")
    if args.mode == "compile" and any(isinstance(m, torch.jit.ScriptModule) for m in (detector, encoder, decoder)):
        raise SystemExit("--mode compile needs the in-process modules (--dfine-repo, --mobilesam-repo)")

    DET, SAM, K = 640, 1024, args.top_k
    scale = SAM / max(H, W)
    sh, sw = min(SAM, int(math.floor(H * scale + 0.5))), min(SAM, int(math.floor(W * scale + 0.5)))
    mean = torch.tensor(SAM_PIXEL_MEAN, device=dev).view(1, 3, 1, 1)
    std = torch.tensor(SAM_PIXEL_STD, device=dev).view(1, 3, 1, 1)

    def preprocess(u8):
        x = u8.float().div(255.0)[None, None]
        det = F.interpolate(x, size=(DET, DET), mode="bilinear", align_corners=False)
        det = det.expand(1, 3, DET, DET).contiguous().to(dtype)
        s = F.interpolate(x, size=(sh, sw), mode="bilinear", align_corners=False)
        seg = F.pad((s * 255.0 - mean) / std, (0, SAM - sw, 0, SAM - sh)).to(dtype)
        return det, seg

    def detect_post(logits, boxes):
        c = logits.shape[2]
        scores_all = torch.sigmoid(logits[0].float()).flatten()
        scores, index = scores_all.topk(K)
        query = torch.div(index, c, rounding_mode="floor")
        bn = boxes[0].float().index_select(0, query)
        cx, cy, w, h = bn.unbind(1)
        bpx = torch.stack([(cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H], 1)
        return scores, bn, bpx

    def labels_from_masks(mask_logits, ids):
        x = F.interpolate(mask_logits.float(), size=(SAM, SAM), mode="bilinear", align_corners=False)
        x = F.interpolate(x[:, :, :sh, :sw], size=(H, W), mode="bilinear", align_corners=False)
        masks = x[:, 0] > 0
        return (masks.to(torch.int32) * ids.view(-1, 1, 1)).amax(0).to(torch.uint8)

    def match_cost(scores, bn, tb, alpha=0.25, gamma=2.0):
        p = scores
        pos = alpha * (1 - p) ** gamma * -torch.log(p + 1e-8)
        neg = (1 - alpha) * p ** gamma * -torch.log(1 - p + 1e-8)
        l1 = torch.cdist(bn, tb, p=1)

        def corners(b):
            return b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2

        ax0, ay0, ax1, ay1 = [t[:, None] for t in corners(bn)]
        bx0, by0, bx1, by1 = [t[None, :] for t in corners(tb)]
        inter = (torch.minimum(ax1, bx1) - torch.maximum(ax0, bx0)).clamp(min=0) * \
                (torch.minimum(ay1, by1) - torch.maximum(ay0, by0)).clamp(min=0)
        union = (ax1 - ax0).clamp(min=0) * (ay1 - ay0).clamp(min=0) + (bx1 - bx0).clamp(min=0) * \
                (by1 - by0).clamp(min=0) - inter
        hull = (torch.maximum(ax1, bx1) - torch.minimum(ax0, bx0)).clamp(min=0) * \
               (torch.maximum(ay1, by1) - torch.minimum(ay0, by0)).clamp(min=0)
        giou = torch.where((union > 0) & (hull > 0), inter / union - (hull - union) / hull, torch.zeros_like(inter))
        return (pos - neg)[:, None] + 5.0 * l1 - 2.0 * giou

    run_det, run_enc, run_dec = detector, encoder, decoder
    run_pre, run_post, run_labels = preprocess, detect_post, labels_from_masks
    compile_s = None
    if args.mode == "compile":
        opts = dict(mode="reduce-overhead")
        run_det = torch.compile(detector, **opts)
        run_enc = torch.compile(encoder, **opts)
        run_dec = torch.compile(decoder, **opts)
        run_pre = torch.compile(preprocess, **opts)
        run_post = torch.compile(detect_post, **opts)
        run_labels = torch.compile(labels_from_masks, **opts)

    state = {"ids": [], "age": [], "boxes": torch.zeros(0, 4, device=dev), "next": 1}

    def step(u8):
        det_in, seg_in = run_pre(u8)
        logits, boxes = run_det(det_in)
        scores, bn, bpx = run_post(logits, boxes)
        T = len(state["ids"])
        valid = (scores >= args.score_threshold).float()[:, None]
        pack = torch.cat([valid, match_cost(scores, bn, state["boxes"])], 1) if T else valid
        host = pack.cpu().numpy()  # D2H #1: validity and the KxT cost matrix (a sync)
        rows = np.nonzero(host[:, 0] > 0.5)[0]
        cost = host[:, 1:]
        track_of = {}
        if T and len(rows):
            r, c = linear_sum_assignment(cost[rows])
            for ri, ci in zip(r, c):
                if cost[rows[ri], ci] <= args.gate:
                    track_of[int(rows[ri])] = int(ci)
        ids = []
        for d in rows:
            t = track_of.get(int(d))
            if t is None:
                ids.append(state["next"])
                state["next"] += 1
            else:
                ids.append(state["ids"][t])
        matched = set(track_of.values())
        keep = [t for t in range(T) if t not in matched and state["age"][t] + 1 <= args.max_age]
        n = len(rows)
        # H2D #2: one small index upload (detections kept, their ids, tracks kept).
        idx = torch.tensor(list(rows) + ids + keep, dtype=torch.int64).to(dev, non_blocking=True)
        rows_d, ids_d, keep_d = idx[:n], idx[n:2 * n], idx[2 * n:]
        state["boxes"] = torch.cat([bn.index_select(0, rows_d), state["boxes"].index_select(0, keep_d)], 0)
        state["age"] = [0] * n + [state["age"][t] + 1 for t in keep]
        state["ids"] = ids + [state["ids"][t] for t in keep]
        if n == 0:
            return torch.zeros(H, W, dtype=torch.uint8, device=dev), 0
        emb = run_enc(seg_in)
        sam_boxes = (bpx.index_select(0, rows_d) * scale).to(dtype)[None]
        mask_logits, _iou = run_dec(emb, sam_boxes)
        return run_labels(mask_logits, (ids_d & 255).to(torch.int32)), n

    times, objects = [], []
    t_start = time.time()
    with torch.no_grad():
        for i in range(args.warmup + args.frames):
            f = frames[i % nf]
            if args.mode == "compile":
                torch.compiler.cudagraph_mark_step_begin()
            t0 = time.perf_counter()
            u8 = torch.from_numpy(f).to(dev)  # H2D #1: the frame
            labels, n = step(u8)
            out = labels.cpu()  # D2H #2: the label map
            t1 = time.perf_counter()
            if i == 0:
                compile_s = time.time() - t_start
            if i >= args.warmup:
                times.append((t1 - t0) * 1e3)
                objects.append(n)
        warm_s = time.time() - t_start - sum(times) / 1e3
        assert out.shape == (H, W) and out.dtype == torch.uint8

        # Copies per frame, from CUDA activity records over a few steady-state frames.
        copies = None
        try:
            counter = [0]

            def one_frame():
                if args.mode == "compile":
                    torch.compiler.cudagraph_mark_step_begin()
                labels, _ = step(torch.from_numpy(frames[counter[0] % nf]).to(dev))
                counter[0] += 1
                labels.cpu()

            h2d, d2h, owners = count_copies(one_frame, iters=5)
            copies = {"h2d_per_frame": h2d, "d2h_per_frame": d2h, "issued_by": owners}
        except Exception as e:
            print("[reference] copy count failed: %s" % e)

    gpu_memory_mib = None
    if memory_before is not None:
        free, total = torch.cuda.mem_get_info(dev)
        gpu_memory_mib = max(0, total - free - memory_before) / 2**20
    t = np.array(times)
    res = {
        "mode": args.mode,
        "precision": args.precision,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor(),
        "torch": torch.__version__,
        "frames": len(times),
        "warmup_frames": args.warmup,
        "frame_size": [W, H],
        "p50_ms": float(np.percentile(t, 50)),
        "p95_ms": float(np.percentile(t, 95)),
        "p99_ms": float(np.percentile(t, 99)),
        "mean_ms": float(t.mean()),
        "fps": float(len(t) / (t.sum() / 1e3)),
        "objects_per_frame": float(np.mean(objects)),
        "top_k": K,
        "score_threshold": args.score_threshold,
        "matcher": MATCHER,
        "copies": copies,
        "gpu_memory_mib": gpu_memory_mib,
        "first_frame_s": compile_s,
        "warmup_s": warm_s,
        "weights": weights,
        "recording": os.path.basename(args.recording),
        "host_cpus": os.cpu_count(),
    }
    print("[reference] %s %s on %s, torch %s: p50 %.2f  p95 %.2f  p99 %.2f ms, %.1f fps, %.1f objects/frame, "
          "copies %s, first frame %.1fs" % (
              res["mode"], res["precision"], res["device"], res["torch"], res["p50_ms"], res["p95_ms"],
              res["p99_ms"], res["fps"], res["objects_per_frame"], copies, compile_s))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
