#!/usr/bin/env python3
"""Export MobileSAM's image encoder and box-prompted mask decoder as TorchScript.

    scripts/export_mobilesam.py --repo upstream/MobileSAM [--checkpoint weights/mobile_sam.pt] \
        --out-dir out/mobilesam [--device cuda] [--precision fp32|fp16|bf16]

The upstream repository (github.com/ChaoningZhang/MobileSAM, package
mobile_sam) is given on the command line and never copied into this one. Its
weights live in that repository as weights/mobile_sam.pt; without
--checkpoint (or when the file is a Git LFS pointer / absent) the weights are
random and a loud line says so: the architecture and its speed are real, the
masks are not.

Writes, traced on --device in --precision (inputs and outputs in that dtype):
  encoder.pt  forward(image[1, 3, 1024, 1024]) -> embeddings[1, 256, 64, 64]
              image already ImageNet-normalised on the 0-255 scale and padded
              bottom/right to 1024, as SAM's preprocess does (TinyViT, traced
              in eval(); it does not script).
  decoder.pt  forward(embeddings[1, 256, 64, 64], boxes[1, N, 4])
                  -> (mask_logits[N, 1, 256, 256], iou[N, 1])
              boxes x0, y0, x1, y1 in the 1024 frame; prompt encoder with
              boxes only + mask decoder with multimask_output=False. Any N >= 1
              (checked against upstream eager for N = 1, 2, 3, 4, 8, 16, 32).

The decoder wrapper re-states upstream's box path (PromptEncoder._embed_boxes +
MaskDecoder.predict_masks): the image embedding is broadcast over the N
prompts with expand(tokens.size(0)) instead of repeat_interleave, the dense
positional encoding is precomputed, only the single-mask hypernetwork runs,
and the random Fourier matrix of the box encoding is kept in int64 fixed
point so that Module.to(fp16) (and the C++ loader's to_floating_dtype,
which converts floating-point weights only) cannot round it: the box positional encoding is always computed in fp32.

Also prints fp16 and bf16 parity per module (encoder, decoder) against fp32,
on a real ultrasound frame where tests/data/SpinePhantomFreehand.igs.mha is
found (MobileSAM's encoder is reported to go wrong in fp16 elsewhere).
"""

import argparse
import copy
import math
import os
import sys
import time
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from igtb_torch_common import (  # noqa: E402  (shared helpers, no upstream import)
    SAM_PIXEL_MEAN, SAM_PIXEL_STD, add_device_args, add_upstream_repo, count_copies, export_setup, first_host_sync,
    graph_capture_check, load_weights, max_diff, short_error, time_ms)

IMG = 1024


def import_mobile_sam(repo):
    add_upstream_repo(repo, "mobile_sam/", "MobileSAM")
    from mobile_sam.build_sam import build_sam_vit_t  # noqa: E402  (upstream)

    return build_sam_vit_t


def build_mobilesam(repo, checkpoint=None, device="cuda", log=print):
    """Builds upstream's vit_t MobileSAM in eval mode on device (fp32). Returns (sam, weights description)."""
    build_sam_vit_t = import_mobile_sam(repo)
    sam = build_sam_vit_t(checkpoint=None)
    weights = load_weights(sam, checkpoint, "export_mobilesam",
                           "no usable --checkpoint (weights/mobile_sam.pt did not come through)", log=log)
    # eval() again after loading: TinyViT caches its attention biases ('ab') in train(False).
    sam.eval()
    sam.to(device)
    for p in sam.parameters():
        p.requires_grad_(False)
    return sam, weights


class SamEncoder(nn.Module):
    """image[1,3,1024,1024] (normalised, padded) -> embeddings[1,256,64,64]."""

    def __init__(self, sam):
        super().__init__()
        self.image_encoder = sam.image_encoder

    def forward(self, image):
        return self.image_encoder(image)


def _separate_heads(self, x, num_heads):
    return x.unflatten(-1, (num_heads, -1)).transpose(1, 2)  # B x N_heads x N_tokens x C_per_head


def _recombine_heads(self, x):
    return x.transpose(1, 2).flatten(2)  # B x N_tokens x C


class SamBoxDecoder(nn.Module):
    """(embeddings[1,256,64,64], boxes[1,N,4] xyxy in the 1024 frame) -> (mask_logits[N,1,256,256], iou[N,1])."""

    def __init__(self, sam):
        super().__init__()
        pe = sam.prompt_encoder
        # A copy (upstream's own modules stay untouched for the parity check), whose attention layers split
        # and merge heads with unflatten/flatten instead of Python arithmetic on traced sizes.
        self.mask_decoder = copy.deepcopy(sam.mask_decoder)
        for m in self.mask_decoder.modules():
            if hasattr(m, "_separate_heads") and hasattr(m, "_recombine_heads"):
                m._separate_heads = types.MethodType(_separate_heads, m)
                m._recombine_heads = types.MethodType(_recombine_heads, m)
        self.input_h, self.input_w = pe.input_image_size
        assert self.input_h == self.input_w, "SAM's prompt frame is square"
        gauss = pe.pe_layer.positional_encoding_gaussian_matrix.detach().double()
        # Fixed point in int64 (2^-30 steps): Module.to(dtype) leaves integer buffers alone (so does the
        # C++ loader's to_floating_dtype; LibTorch's own jit::Module::to would not), so the matrix
        # survives a conversion to fp16 at fp32 accuracy (view(dtype) does not trace).
        self.register_buffer("pe_gaussian_fx", torch.round(gauss * 2.0 ** 30).to(torch.int64))
        with torch.no_grad():
            dense_pe = pe.get_dense_pe().detach().clone()  # [1,256,64,64]
            corners = torch.cat([pe.point_embeddings[2].weight, pe.point_embeddings[3].weight], 0)[None]
        self.register_buffer("dense_pe", dense_pe)
        self.register_buffer("corner_embed", corners.detach().clone())  # [1,2,256]
        self.register_buffer("no_mask_embed", pe.no_mask_embed.weight.detach().reshape(1, -1, 1, 1).clone())

    def forward(self, embeddings, boxes):
        md = self.mask_decoder
        # Prompt encoder, boxes only (PromptEncoder._embed_boxes), in fp32.
        coords = boxes.reshape(-1, 2, 2).float() + 0.5
        coords = 2.0 * (coords * (1.0 / self.input_w)) - 1.0  # square input (asserted in __init__)
        gauss = (self.pe_gaussian_fx.to(torch.float64) * 2.0 ** -30).to(torch.float32)
        proj = (coords @ gauss) * (2.0 * math.pi)
        # type_as, not .to(dt): the trace records type_as against the input, but .to(dt) as a constant dtype.
        sparse = torch.cat([torch.sin(proj), torch.cos(proj)], -1).type_as(embeddings) + self.corner_embed
        # MaskDecoder.predict_masks, single-mask output.
        output_tokens = torch.cat([md.iou_token.weight, md.mask_tokens.weight], 0)
        tokens = torch.cat([output_tokens.unsqueeze(0).expand(sparse.size(0), -1, -1), sparse], 1)
        src = (embeddings + self.no_mask_embed).expand(tokens.size(0), -1, -1, -1)
        pos = self.dense_pe.expand(tokens.size(0), -1, -1, -1)
        c, h, w = embeddings.shape[1], embeddings.shape[2], embeddings.shape[3]
        hs, src = md.transformer(src, pos, tokens)
        iou_token_out = hs[:, 0, :]
        mask_token_out = hs[:, 1, :]
        src = src.transpose(1, 2).reshape(-1, c, h, w)
        up = md.output_upscaling(src)  # [N, 32, 256, 256]
        hyper = md.output_hypernetworks_mlps[0](mask_token_out)  # [N, 32]
        masks = torch.matmul(hyper.unsqueeze(1), up.flatten(2))
        masks = masks.reshape(-1, 1, up.shape[2], up.shape[3])
        iou = md.iou_prediction_head(iou_token_out)[:, 0:1]
        return masks, iou


def upstream_decode(sam, emb, boxes):
    """Upstream's own eager path: PromptEncoder(boxes) + MaskDecoder(multimask_output=False)."""
    sparse, dense = sam.prompt_encoder(points=None, boxes=boxes[0], masks=None)
    return sam.mask_decoder(image_embeddings=emb, image_pe=sam.prompt_encoder.get_dense_pe(),
                            sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=False)


def sam_preprocess(gray_u8, device):
    """grey uint8 [H,W] -> [1,3,1024,1024] like the C++ segmenter_input (bilinear, ImageNet norm, pad)."""
    x = torch.as_tensor(gray_u8).to(device).float().div(255.0)[None, None]
    hgt, wid = x.shape[2], x.shape[3]
    s = IMG / max(hgt, wid)
    nh, nw = min(IMG, int(math.floor(hgt * s + 0.5))), min(IMG, int(math.floor(wid * s + 0.5)))
    x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
    mean = torch.tensor(SAM_PIXEL_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(SAM_PIXEL_STD, device=device).view(1, 3, 1, 1)
    out = torch.zeros(1, 3, IMG, IMG, device=device)
    out[:, :, :nh, :nw] = (x * 255.0 - mean) / std
    return out, (nh, nw)


def random_boxes(n, gen, lo=64, hi=960):
    x0 = torch.randint(lo, hi - 128, (n,), generator=gen).float()
    y0 = torch.randint(lo, hi - 128, (n,), generator=gen).float()
    w = torch.randint(32, 256, (n,), generator=gen).float()
    hh = torch.randint(32, 256, (n,), generator=gen).float()
    return torch.stack([x0, y0, (x0 + w).clamp(max=IMG - 1), (y0 + hh).clamp(max=IMG - 1)], 1)[None]


def mask_iou(a, b):
    a, b = a.float() > 0, b.float() > 0
    inter = (a & b).sum().item()
    union = (a | b).sum().item()
    return 1.0 if union == 0 else inter / union


def test_image(device, log=print):
    path = os.path.join(HERE, "..", "tests", "data", "SpinePhantomFreehand.igs.mha")
    try:
        from reference_pipeline import read_mha

        frames = read_mha(path)
        img, _ = sam_preprocess(frames[len(frames) // 2], device)
        log("[export_mobilesam] test image: frame %d of %s" % (len(frames) // 2, os.path.basename(path)))
        return img
    except Exception as e:
        log("[export_mobilesam] no recording frame (%s); test image is random" % e)
        g = torch.Generator().manual_seed(2)
        return ((torch.rand(1, 3, IMG, IMG, generator=g) * 255 - 120) / 58).to(device)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", required=True, help="upstream MobileSAM checkout")
    ap.add_argument("--checkpoint", help="mobile_sam.pt; random weights without a usable one")
    ap.add_argument("--out-dir", required=True)
    add_device_args(ap)
    ap.add_argument("--trace-n", type=int, default=3, help="box count of the decoder's example input")
    ap.add_argument("--no-checks", action="store_true", help="skip the fp16/bf16 parity and timing")
    args = ap.parse_args()

    dev, dtype = export_setup(args)
    t0 = time.time()
    sam, weights = build_mobilesam(args.repo, args.checkpoint, dev)
    enc32 = SamEncoder(sam).eval()
    dec32 = SamBoxDecoder(sam).eval()
    enc = copy.deepcopy(enc32).to(dtype)
    dec = copy.deepcopy(dec32).to(dtype)
    print("[export_mobilesam] built in %.1fs" % (time.time() - t0))
    os.makedirs(args.out_dir, exist_ok=True)
    enc_path = os.path.join(args.out_dir, "encoder.pt")
    dec_path = os.path.join(args.out_dir, "decoder.pt")

    img = test_image(dev)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        emb32 = enc32(img)
        emb = enc(img.to(dtype))
        t_enc = torch.jit.trace(enc, (img.to(dtype),), check_trace=False)
        t_enc.save(enc_path)
        b0 = random_boxes(args.trace_n, gen).to(dev)
        t_dec = torch.jit.trace(dec, (emb, b0.to(dtype)), check_trace=False)
        t_dec.save(dec_path)
    print("[export_mobilesam] wrote %s (%.1f MB) and %s (%.1f MB), traced on %s in %s" % (
        enc_path, os.path.getsize(enc_path) / 1e6, dec_path, os.path.getsize(dec_path) / 1e6, dev, args.precision))

    l_enc = torch.jit.load(enc_path, map_location=dev).eval()
    l_dec = torch.jit.load(dec_path, map_location=dev).eval()
    with torch.no_grad():
        for _ in range(3):
            le = l_enc(img.to(dtype))
        print("[export_mobilesam] encoder: jit.load vs eager (%s) max|d| %.3g, out %s %s" % (
            args.precision, max_diff(le, emb), tuple(le.shape), le.dtype))
        if dev.type == "cuda":
            bx3 = random_boxes(3, gen).to(dev).to(dtype)
            for label, fn in (("encoder", lambda: l_enc(img.to(dtype))), ("decoder", lambda: l_dec(emb, bx3))):
                where = first_host_sync(fn)
                why = graph_capture_check(fn)
                print("[export_mobilesam] %s: first host sync %s; CUDA-graph capture %s" % (
                    label, where or "none", "ok" if why is None else "FAILED: " + why))
        def check_any_n(mod, label):
            ok_all = True
            for n in (1, 2, 3, 4, 8, 16, 32):
                bx = random_boxes(n, gen).to(dev)
                um, ui = upstream_decode(sam, emb32, bx)  # upstream eager, fp32
                wm, wi = dec32(emb32, bx)  # this wrapper, eager fp32
                try:
                    for _ in range(3):
                        lm, li = mod(emb, bx.to(dtype))
                except Exception as e:
                    print("[export_mobilesam] decoder (%s) N=%2d FAILED: %s" % (label, n, short_error(e)))
                    ok_all = False
                    continue
                em, ei = dec(emb, bx.to(dtype))
                tol = 1e-3 if dtype == torch.float32 else 5e-2
                ok = (tuple(lm.shape) == (n, 1, 256, 256) and tuple(li.shape) == (n, 1)
                      and max_diff(lm, em) <= tol * max(1.0, em.float().abs().max().item()))
                ok_all &= ok
                print("[export_mobilesam] decoder N=%2d: wrapper vs upstream eager (fp32) masks %.3g iou %.3g | "
                      "%s %s vs eager %s masks %.3g iou %.3g | shapes %s %s %s" % (
                          n, max_diff(wm, um), max_diff(wi, ui), label, args.precision, args.precision,
                          max_diff(lm, em), max_diff(li, ei), tuple(lm.shape), tuple(li.shape),
                          "ok" if ok else "WRONG"))
            return ok_all

        ok_all = check_any_n(l_dec, "traced+loaded")
        if not ok_all:
            print("[export_mobilesam] the traced decoder does not generalise over N; trying torch.jit.script")
            try:
                s_dec = torch.jit.script(dec)
                s_dec.save(dec_path)
                l_dec = torch.jit.load(dec_path, map_location=dev).eval()
                ok_all = check_any_n(l_dec, "scripted+loaded")
            except Exception as e:
                print("[export_mobilesam] torch.jit.script of the decoder FAILED: %s" % short_error(e))
        print("[export_mobilesam] decoder accepts any N: %s" % ok_all)
        if dev.type == "cuda":
            bx = random_boxes(8, gen).to(dev).to(dtype)
            print("[export_mobilesam] copies per forward (H2D, D2H, issuing ops): encoder %s, decoder %s" % (
                count_copies(lambda: l_enc(img.to(dtype))), count_copies(lambda: l_dec(emb, bx))))
            print("[export_mobilesam] loaded %s ms/forward: encoder %.3f, decoder N=1 %.3f, N=8 %.3f, N=16 %.3f" % (
                args.precision, time_ms(lambda: l_enc(img.to(dtype))),
                time_ms(lambda: l_dec(emb, bx[:, :1].contiguous())), time_ms(lambda: l_dec(emb, bx)),
                time_ms(lambda: l_dec(emb, torch.cat([bx, bx], 1)))))

    if args.no_checks or dev.type != "cuda":
        return
    # Precision parity per module against fp32 (eager), on the same input.
    with torch.no_grad():
        bx = random_boxes(8, gen).to(dev)
        m32, i32 = dec32(emb32, bx)
        for name, dt in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
            try:
                precision_parity(name, dt, enc32, dec32, img, emb32, bx, m32, i32)
            except Exception as e:
                print("[export_mobilesam] %s parity FAILED: %s" % (name, short_error(e)))
            if args.precision == "fp32":
                # What the C++ loader does: the fp32 files, torch::jit::load(file, device), then module.to(dt).
                try:
                    loaded_to(name, dt, enc_path, dec_path, dev, img, bx, enc32, dec32)
                except Exception as e:
                    print("[export_mobilesam] %s via fp32 files + .to() FAILED: %s" % (name, short_error(e)))


def precision_parity(name, dt, enc32, dec32, img, emb32, bx, m32, i32):
    scale = emb32.abs().max().item()
    e_lo = copy.deepcopy(enc32).to(dt)
    d_lo = copy.deepcopy(dec32).to(dt)
    emb_lo = e_lo(img.to(dt))
    finite = bool(torch.isfinite(emb_lo).all())
    m_e, _ = dec32(emb_lo.float(), bx)  # encoder alone: low-precision embeddings into the fp32 decoder
    m_d, i_d = d_lo(emb32.to(dt), bx.to(dt))  # decoder alone: fp32 embeddings into the low-precision decoder
    m_b, _ = d_lo(emb_lo, bx.to(dt))  # both
    d = max_diff(emb_lo, emb32)
    print("[export_mobilesam] %s parity: ENCODER emb max|d| %.3g (fp32 max|emb| %.3g, rel %.3g, finite %s), "
          "mask IoU vs fp32 (%s encoder only) %.4f | DECODER masks max|d| %.3g iou max|d| %.3g, "
          "mask IoU (%s decoder only) %.4f | both %.4f" % (
              name, d, scale, d / max(scale, 1e-12), finite, name, mask_iou(m_e, m32), max_diff(m_d, m32),
              max_diff(i_d, i32), name, mask_iou(m_d, m32), mask_iou(m_b, m32)))


def loaded_to(name, dt, enc_path, dec_path, dev, img, bx, enc32, dec32):
    le2 = torch.jit.load(enc_path, map_location=dev).eval()
    ld2 = torch.jit.load(dec_path, map_location=dev).eval()
    le2.to(dt)
    ld2.to(dt)
    e_lo = copy.deepcopy(enc32).to(dt)
    d_lo = copy.deepcopy(dec32).to(dt)
    x = img.to(dt)
    for _ in range(3):
        e2 = le2(x)
        m2, i2 = ld2(e2, bx.to(dt))
    e1 = e_lo(x)
    m1, _ = d_lo(e1, bx.to(dt))
    print("[export_mobilesam] %s via fp32 files + .to(%s) after load vs %s eager: emb max|d| %.3g masks max|d| %.3g "
          "(output dtypes %s %s %s); loaded ms/forward encoder %.3f decoder N=8 %.3f" % (
              name, name, name, max_diff(e2, e1), max_diff(m2, m1), e2.dtype, m2.dtype, i2.dtype,
              time_ms(lambda: le2(x)), time_ms(lambda: ld2(e2, bx.to(dt)))))


if __name__ == "__main__":
    main()
