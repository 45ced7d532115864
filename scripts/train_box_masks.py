#!/usr/bin/env python3
"""A MobileSAM whose masks are decisive, for precision parity when the real weights cannot be had.

    scripts/train_box_masks.py --mobilesam-repo PATH --out FILE [--steps 1500] [--recording F]

Builds upstream's MobileSAM (vit_t) exactly as export_mobilesam.py does (seed 0,
random weights), keeps its image encoder as it is, and trains its prompt encoder
and mask decoder for --steps steps to answer a box with the ellipse inscribed in
it, on the bundled recording's frames (the frames the parity runs on, through
the pipeline's own preprocessing: longest side 1024, SAM's normalisation, pad).
Saves the whole model's state dict: a --checkpoint for export_mobilesam.py and
a --mobilesam-checkpoint for export_aoti.py.

Why: with random weights the mask logits hover around 0, so any rounding flips
pixels and PyTorch's own fp16 misses a 0.98 IoU against its fp32 (issue 5's
parity runs). Trained weights make the logits decisive except at the mask's
edge, which is what a precision's parity should measure. These are NOT
MobileSAM's trained weights (their file is not obtainable here) and segment
nothing anatomical: the masks are ellipses in boxes, whose edges the decoder
draws itself from the image embeddings and the prompt. Never shipped; the
checkpoint stays on the machine that made it.

Prints the loss and the training masks' IoU against the ellipses every 100 steps.
"""

import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from export_mobilesam import IMG, build_mobilesam, sam_preprocess  # noqa: E402
from igtb_torch_common import strict_fp32  # noqa: E402
from reference_pipeline import read_mha  # noqa: E402

LOW = 256  # the decoder's mask size: one cell per 4x4 pixels of the 1024 frame


def random_boxes(n, gen, width, height):
    """[N, 4] x0 y0 x1 y1 in the 1024 frame, inside the image's part of it, 16 px to the whole image."""
    w = torch.randint(16, width + 1, (n,), generator=gen).float()
    h = torch.randint(16, height + 1, (n,), generator=gen).float()
    x0 = (torch.rand(n, generator=gen) * (width - w)).floor()
    y0 = (torch.rand(n, generator=gen) * (height - h)).floor()
    return torch.stack([x0, y0, x0 + w, y0 + h], 1)


def ellipse_targets(boxes):
    """[N, 1, 256, 256] 0/1: the ellipse inscribed in each box, at the cells' centres."""
    c = (torch.arange(LOW, device=boxes.device, dtype=torch.float32) + 0.5) * (IMG / LOW)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    rx, ry = (boxes[:, 2] - boxes[:, 0]) / 2, (boxes[:, 3] - boxes[:, 1]) / 2
    d = ((c.view(1, 1, LOW) - cx.view(-1, 1, 1)) / rx.view(-1, 1, 1)) ** 2 + \
        ((c.view(1, LOW, 1) - cy.view(-1, 1, 1)) / ry.view(-1, 1, 1)) ** 2
    return (d <= 1).float()[:, None]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mobilesam-repo", required=True, help="upstream MobileSAM checkout")
    ap.add_argument("--out", required=True, help="state dict to write (.pt)")
    ap.add_argument("--recording", default=os.path.join(HERE, "..", "tests", "data", "SpinePhantomFreehand.igs.mha"))
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--boxes", type=int, default=8, help="boxes per step")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()

    strict_fp32()
    torch.manual_seed(0)  # as export_mobilesam.py: the same random image encoder
    dev = torch.device(args.device)
    t0 = time.time()
    sam, _ = build_mobilesam(args.mobilesam_repo, None, dev)
    frames = read_mha(args.recording)
    if frames.ndim != 3:
        raise SystemExit("train_box_masks: %s: grey frames expected" % args.recording)
    height, width = frames.shape[1], frames.shape[2]
    s = IMG / max(height, width)
    sh, sw = min(IMG, int(math.floor(height * s + 0.5))), min(IMG, int(math.floor(width * s + 0.5)))
    with torch.no_grad():
        embeddings = [sam.image_encoder(sam_preprocess(f, dev)[0]) for f in frames]
    print("[train_box_masks] %d frames %dx%d (%dx%d in the 1024 frame), embeddings in %.1f s" % (
        len(frames), width, height, sw, sh, time.time() - t0))

    params = list(sam.prompt_encoder.parameters()) + list(sam.mask_decoder.parameters())
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=args.lr)
    gen = torch.Generator().manual_seed(5)
    image_pe = None
    t1 = time.time()
    for step in range(1, args.steps + 1):
        emb = embeddings[int(torch.randint(len(embeddings), (1,), generator=gen))]
        boxes = random_boxes(args.boxes, gen, sw, sh).to(dev)
        target = ellipse_targets(boxes)
        sparse, dense = sam.prompt_encoder(points=None, boxes=boxes, masks=None)
        image_pe = sam.prompt_encoder.get_dense_pe()
        logits, _ = sam.mask_decoder(image_embeddings=emb, image_pe=image_pe, sparse_prompt_embeddings=sparse,
                                     dense_prompt_embeddings=dense, multimask_output=False)
        prob = torch.sigmoid(logits)
        dice = 1 - (2 * (prob * target).sum((1, 2, 3)) + 1) / (prob.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)
        loss = F.binary_cross_entropy_with_logits(logits, target) + dice.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.steps:
            with torch.no_grad():
                m, t = logits > 0, target > 0
                iou = ((m & t).sum((1, 2, 3)).float() / (m | t).sum((1, 2, 3)).clamp(min=1).float())
                near0 = (logits.abs() < 1).float().mean()
            print("[train_box_masks] step %d: loss %.4f, IoU with the ellipses min %.3f mean %.3f, "
                  "cells with |logit| < 1: %.1f%% (%.1f s)" % (step, float(loss), float(iou.min()), float(iou.mean()),
                                                              100 * float(near0), time.time() - t1))
    for p in params:
        p.requires_grad_(False)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)) or ".", exist_ok=True)
    torch.save({k: v.detach().cpu() for k, v in sam.state_dict().items()}, args.out)
    print("[train_box_masks] wrote %s (prompt encoder and mask decoder trained %d steps on ellipses in boxes; "
          "image encoder random, seed 0) in %.1f s" % (args.out, args.steps, time.time() - t0))


if __name__ == "__main__":
    main()
