#!/usr/bin/env python3
"""Parity of the C++ pipeline against PyTorch eager on the same frames.

    scripts/parity.py --saved DIR --kpi KPI.jsonl --detector D --encoder E --decoder M \
        [--cxx-precision fp32|fp16|bf16] [--floor-precision fp32|fp16|bf16] [--frames 40] [--json OUT.json]

Input: a live run (scripts/gpu_live.sh with SAVE_DIR set) in which igtbridge
wrote its KPI file and igtbridge-listen --save kept every IMAGE: the input
frames (Image_Reference) and the label maps (BoneMask). For each processed
frame, up to --frames of them:

  - the eager side runs the same model files (TorchScript, loaded in Python,
    in --ref-precision, default fp32) on the saved input frame, with the
    reference pipeline's preprocessing (scripts/reference_pipeline.py, which
    follows lib/pipeline): D-FINE -> top-k boxes in pixels;
  - boxes: each VISIBLE C++ track matched in this frame (score > 0: an
    unmatched track's score is 0) is paired with the eager box nearest to
    its box (the KPI line's, x0 y0 x1 y1 pixels, 0.001 px) among all the
    detector's queries; the box difference is the largest coordinate
    difference. A query outside eager's top-k fails the check only where
    its eager score lies more than --score-tol below the k-th (random
    weights give near-equal scores, whose order any rounding flips: a
    ranking, not the box regression; with trained weights a wrong query is
    caught);
  - masks: MobileSAM eager decodes the C++ tracks' own boxes (the segmented
    ones: the first --top-k VISIBLE tracks), the masks are composed with the
    C++ track ids into a label map (reference_pipeline's labels_from_masks),
    and each id's region is compared with the C++ label map: IoU. So a
    detection that differs (random weights make near-ties of top-k) does not
    count against the segmentation, and the reverse;
  - with --floor-precision (e.g. fp16), the same eager modules also run in
    that precision on the same boxes, and each region of that label map is
    compared with the eager --ref-precision one: what PyTorch itself loses
    in that precision on these frames; and with the C++ label map: the C++
    pipeline against PyTorch in the same precision (both reported, not pass
    conditions).

Pass: every box within --box-tol (0.5 px) and every IoU at least --iou-min
(default 0.995 for a fp32 C++ run, 0.98 for fp16/bf16): the thresholds of the
GPU issue. Exit 0 on pass, 1 on a failed check or bad input (one error line).

With random weights nothing is VISIBLE at the default thresholds: run the
live run with detect.score_threshold=0, match.min_new_score=0 and
visibility.theta_on = visibility.theta_off = 1e-6 (gpu_models.sh does), so the
top-k candidates become tracks, a track matched in the frame is VISIBLE and
segmented, and one that is not (score 0) is not.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import demo_report as dr  # noqa: E402  (the saved-NRRD and KPI readers)

PROG = "parity"
dr.PROG = PROG


class ParityError(Exception):
    pass


def paired_frames(saved, kpi_path, image_dev, mask_dev, limit):
    """[(kpi row, input pixels [H, W] uint8, C++ label map [H, W] uint8)]: the processed frames in order.

    Label maps arrive in the order of the KPI lines of the frames that did not fail; each is paired with the
    next KPI line of its timestamp. The input frame is the latest saved input image with that timestamp sent before the label
    map (the replay loops, so timestamps repeat)."""
    if not os.path.isdir(saved):
        raise ParityError("%s: no such folder (igtbridge-listen --save writes it)" % saved)
    try:
        rows = [r for r in dr.read_kpi(kpi_path) if not r.get("failed")]
        found = dr.scan_saved(saved)
        pairs = dr.pair_frames(found, image_dev, mask_dev, "none")
        masks = [dr.Nrrd(p) for _, p in found.get((mask_dev, "nrrd"), [])]  # scan_saved sorts by index
    except dr.ReportError as e:
        raise ParityError(str(e))
    by_mask_path = {p["mask"].path: p["image"] for p in pairs}
    out, i = [], 0
    for mask in masks:
        if len(out) >= limit:
            break
        # The KPI line of this label map: the next one with its timestamp (a listener that joined late
        # missed the first label maps, never KPI lines).
        while i < len(rows) and (mask.timestamp is None or rows[i].get("timestamp") is None
                                 or abs(mask.timestamp - rows[i]["timestamp"]) > 5e-6):
            i += 1
        if i == len(rows):
            raise ParityError("%s (timestamp %s) has no KPI line in %s: not the same run?" % (
                mask.path, mask.timestamp, kpi_path))
        row = rows[i]
        i += 1
        img = by_mask_path.get(mask.path)
        if img is None:
            continue  # no input image with that timestamp was saved (listener joined late)
        try:
            px, lab = img.pixels(), mask.pixels()
        except dr.ReportError as e:
            raise ParityError(str(e))
        if px.ndim != 3 or px.shape[0] != 1 or lab.shape != px.shape:
            raise ParityError("%s: %s input, %s label map: 2D single-component frames only" % (
                mask.path, px.shape, lab.shape))
        out.append((row, np.ascontiguousarray(px[0]), np.ascontiguousarray(lab[0])))
    if not out:
        raise ParityError("no processed frame with its input image in %s" % saved)
    return out


def nearest_box(box, candidates):
    """(index, largest coordinate difference) of the candidate box [K, 4] nearest to box (max norm)."""
    d = np.abs(np.asarray(candidates, dtype=np.float64) - np.asarray(box, dtype=np.float64)[None, :]).max(1)
    k = int(d.argmin())
    return k, float(d[k])


def percentile(values, q):
    """The value at fraction q (0..1) of the sorted values (nearest rank below)."""
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def region_iou(a, b):
    inter = int(np.logical_and(a, b).sum())
    union = int(np.logical_or(a, b).sum())
    return 1.0 if union == 0 else inter / union


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--saved", required=True, help="igtbridge-listen --save folder of the live run")
    ap.add_argument("--kpi", required=True, help="igtbridge's KPI file of the same run")
    ap.add_argument("--detector", required=True, help="TorchScript detector the C++ run used (or its .pt twin)")
    ap.add_argument("--encoder", required=True)
    ap.add_argument("--decoder", required=True)
    ap.add_argument("--cxx-precision", default="fp32", choices=["fp32", "fp16", "bf16"],
                    help="precision of the C++ run (sets the default --iou-min)")
    ap.add_argument("--ref-precision", default="fp32", choices=["fp32", "fp16", "bf16"])
    ap.add_argument("--floor-precision", choices=["fp32", "fp16", "bf16"],
                    help="also run eager in this precision and report its IoU against --ref-precision")
    ap.add_argument("--iou-min", type=float, help="default 0.995 for fp32, 0.98 otherwise")
    ap.add_argument("--box-tol", type=float, default=0.5, help="pixels")
    ap.add_argument("--score-tol", type=float, default=1e-3,
                    help="a matched query outside eager's top-k may score this much below the k-th")
    ap.add_argument("--report-min-pixels", type=int, default=200,
                    help="also report the IoUs of the masks this large in some run (not a pass condition): a "
                         "mask of a few pixels has IoU 0 or 1/3 from one pixel")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--image-device", default="Image_Reference")
    ap.add_argument("--mask-device", default="BoneMask")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--json", help="write every frame's figures here")
    args = ap.parse_args(argv)
    iou_min = args.iou_min if args.iou_min is not None else (0.995 if args.cxx_precision == "fp32" else 0.98)

    try:
        frames = paired_frames(args.saved, args.kpi, args.image_device, args.mask_device, args.frames)
    except (ParityError, OSError) as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1

    import torch
    import torch.nn.functional as F

    from igtb_torch_common import DTYPES, SAM_PIXEL_MEAN, SAM_PIXEL_STD, strict_fp32

    strict_fp32()
    dev, dtype = torch.device(args.device), DTYPES[args.ref_precision]
    for path in (args.detector, args.encoder, args.decoder):
        if path.endswith(".pt2"):
            print("%s: error: %s: give the TorchScript twin (.pt) of the package as the eager reference" % (
                PROG, path), file=sys.stderr)
            return 1

    def load(path, dt):
        m = torch.jit.load(path, map_location=dev).eval()
        m.to(dt)
        return m

    detector, encoder, decoder = (load(p, dtype) for p in (args.detector, args.encoder, args.decoder))
    floor = None
    if args.floor_precision:
        fdt = DTYPES[args.floor_precision]
        floor = (load(args.encoder, fdt), load(args.decoder, fdt), fdt)
    DET, SAM, K = 640, 1024, args.top_k
    mean = torch.tensor(SAM_PIXEL_MEAN, device=dev).view(1, 3, 1, 1)
    std = torch.tensor(SAM_PIXEL_STD, device=dev).view(1, 3, 1, 1)

    results, worst_box, worst_iou, checked, boxes_checked = [], 0.0, 1.0, 0, 0
    ious, floor_ious, cxx_floor_ious, outside_top_k, rank_failures = [], [], [], 0, 0
    large = []  # indices into ious (and the floor lists) of the masks of at least --report-min-pixels
    with torch.no_grad():
        for row, px, cxx_labels in frames:
            H, W = px.shape
            scale = SAM / max(H, W)
            sh, sw = min(SAM, int(math.floor(H * scale + 0.5))), min(SAM, int(math.floor(W * scale + 0.5)))
            x = torch.from_numpy(px.copy()).to(dev).float().div(255.0)[None, None]
            det_in = F.interpolate(x, size=(DET, DET), mode="bilinear", align_corners=False)
            det_in = det_in.expand(1, 3, DET, DET).contiguous().to(dtype)
            s = F.interpolate(x, size=(sh, sw), mode="bilinear", align_corners=False)
            seg_f32 = F.pad((s * 255.0 - mean) / std, (0, SAM - sw, 0, SAM - sh))
            logits, boxes = detector(det_in)
            c = logits.shape[2]
            probs = torch.sigmoid(logits[0].float())
            top_scores, index = probs.flatten().topk(K)
            top_queries = set(torch.div(index, c, rounding_mode="floor").tolist())
            kth_score = float(top_scores[-1])
            query_scores = probs.amax(1).cpu().numpy()
            cx, cy, w, h = boxes[0].float().unbind(1)  # every query's box
            bpx = torch.stack([(cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H], 1)
            cand = bpx.cpu().numpy()
            visible = [t for t in row.get("tracks", []) if t.get("state") == "VISIBLE"][:K]
            frame = {"frame": row.get("frame"), "timestamp": row.get("timestamp"), "tracks": []}
            if visible:
                tb = torch.tensor([t["box"] for t in visible], device=dev, dtype=torch.float32)
                ids = torch.tensor([t["id"] for t in visible], device=dev, dtype=torch.int32)

                def labels(enc, dec, dt):
                    mask_logits, _ = dec(enc(seg_f32.to(dt)), (tb * scale).to(dt)[None])
                    up = F.interpolate(mask_logits.float(), size=(SAM, SAM), mode="bilinear", align_corners=False)
                    up = F.interpolate(up[:, :, :sh, :sw], size=(H, W), mode="bilinear", align_corners=False)
                    return ((up[:, 0] > 0).to(torch.int32) * ids.view(-1, 1, 1)).amax(0).to(torch.uint8).cpu().numpy()

                ref_labels = labels(encoder, decoder, dtype)
                floor_labels = labels(*floor) if floor else None
                for t in visible:
                    iou = region_iou(cxx_labels == t["id"], ref_labels == t["id"])
                    entry = {"id": t["id"], "score": t.get("score"), "iou": round(iou, 5),
                             "cxx_pixels": int((cxx_labels == t["id"]).sum()),
                             "ref_pixels": int((ref_labels == t["id"]).sum())}
                    if floor_labels is not None:
                        floor_iou = region_iou(floor_labels == t["id"], ref_labels == t["id"])
                        entry["floor_iou"] = round(floor_iou, 5)
                        entry["floor_pixels"] = int((floor_labels == t["id"]).sum())
                        floor_ious.append(floor_iou)
                        cxx_floor_iou = region_iou(cxx_labels == t["id"], floor_labels == t["id"])
                        entry["cxx_floor_iou"] = round(cxx_floor_iou, 5)
                        cxx_floor_ious.append(cxx_floor_iou)
                    if (t.get("score") or 0) > 0:  # matched in this frame: its box is this frame's detection
                        q, dbox = nearest_box(t["box"], cand)
                        entry["box_diff_px"] = round(dbox, 3)
                        entry["in_top_k"] = q in top_queries
                        if not entry["in_top_k"]:
                            outside_top_k += 1
                            entry["below_kth_score"] = round(kth_score - float(query_scores[q]), 6)
                            rank_failures += entry["below_kth_score"] > args.score_tol
                        worst_box = max(worst_box, dbox)
                        boxes_checked += 1
                    frame["tracks"].append(entry)
                    if max(entry["cxx_pixels"], entry["ref_pixels"], entry.get("floor_pixels", 0)) >= \
                            args.report_min_pixels:
                        large.append(len(ious))
                    worst_iou = min(worst_iou, iou)
                    ious.append(iou)
                    checked += 1
            results.append(frame)

    # + the KPI's 0.001 px rounding
    ok = (checked > 0 and boxes_checked > 0 and worst_box <= args.box_tol + 0.001 and worst_iou >= iou_min
          and rank_failures == 0)
    print("%s: %d frames, %d VISIBLE tracks' masks and %d matched tracks' boxes compared; C++ %s vs eager %s: boxes "
          "max |d| %.3f px (tolerance %.2f), mask IoU min %.5f (minimum %.3f): %s" % (
              PROG, len(results), checked, boxes_checked, args.cxx_precision, args.ref_precision, worst_box,
              args.box_tol, worst_iou, iou_min,
              "PASS" if ok else ("FAIL" if boxes_checked else "FAIL: no matched track's box to compare" if checked
                                 else "NOTHING TO COMPARE (no VISIBLE track)")))
    spread = lambda v: "min %.5f, 5th percentile %.5f, median %.5f" % (  # noqa: E731
        min(v), percentile(v, 0.05), percentile(v, 0.5)) if v else "none"
    print("%s: mask IoU C++ %s vs eager %s: %s; boxes whose query is outside eager's top-%d: %d of %d, "
          "%d of them scoring more than %g below the %d-th (a failure)" % (
              PROG, args.cxx_precision, args.ref_precision, spread(ious), K, outside_top_k, boxes_checked,
              rank_failures, args.score_tol, K))
    if floor:
        print("%s: mask IoU eager %s vs eager %s (same boxes; not a pass condition): %s" % (
            PROG, args.floor_precision, args.ref_precision, spread(floor_ious)))
        print("%s: mask IoU C++ %s vs eager %s (same boxes; not a pass condition): %s" % (
            PROG, args.cxx_precision, args.floor_precision, spread(cxx_floor_ious)))
    pick = lambda v: [v[i] for i in large] if v else []  # noqa: E731
    print("%s: masks of at least %d pixels in some run (%d of %d; not a pass condition): C++ %s vs eager %s: %s" % (
        PROG, args.report_min_pixels, len(large), checked, args.cxx_precision, args.ref_precision,
        spread(pick(ious))))
    if floor:
        print("%s: masks of at least %d pixels: eager %s vs eager %s: %s; C++ %s vs eager %s: %s" % (
            PROG, args.report_min_pixels, args.floor_precision, args.ref_precision, spread(pick(floor_ious)),
            args.cxx_precision, args.floor_precision, spread(pick(cxx_floor_ious))))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cxx_precision": args.cxx_precision, "ref_precision": args.ref_precision,
                       "box_tol_px": args.box_tol, "iou_min": iou_min, "tracks_compared": checked,
                       "boxes_compared": boxes_checked,
                       "box_max_diff_px": worst_box, "iou_min_seen": worst_iou,
                       "iou_median": percentile(ious, 0.5) if ious else None, "boxes_outside_top_k": outside_top_k,
                       "boxes_outside_top_k_by_more_than_score_tol": rank_failures, "score_tol": args.score_tol,
                       "floor_precision": args.floor_precision,
                       "floor_iou_min": min(floor_ious) if floor_ious else None,
                       "floor_iou_median": percentile(floor_ious, 0.5) if floor_ious else None,
                       "cxx_floor_iou_min": min(cxx_floor_ious) if cxx_floor_ious else None,
                       "cxx_floor_iou_median": percentile(cxx_floor_ious, 0.5) if cxx_floor_ious else None,
                       "report_min_pixels": args.report_min_pixels, "large_masks": len(large),
                       "large_iou_min": min(pick(ious)) if large else None,
                       "large_floor_iou_min": min(pick(floor_ious)) if large and floor_ious else None,
                       "large_cxx_floor_iou_min": min(pick(cxx_floor_ious)) if large and cxx_floor_ious else None,
                       "pass": ok, "frames": results}, f,
                      indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
