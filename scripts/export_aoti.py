#!/usr/bin/env python3
"""Export D-FINE and MobileSAM as AOTInductor packages (.pt2) for the C++ pipeline.

    scripts/export_aoti.py --dfine-repo upstream/D-FINE --mobilesam-repo upstream/MobileSAM \
        --out-dir out/aoti --precision fp16 [--only detector encoder decoder] [--max-boxes 64]

The same modules as the TorchScript exports (export_dfine.py's D-FINE in deploy mode with
CaptureSafeAttention, export_mobilesam.py's SamEncoder and SamBoxDecoder), the same
contracts, the same random-weights rule (a loud line without checkpoints), but captured
with torch.export and compiled ahead of time by Inductor (fused kernels, no Python, no
TorchScript interpreter). The C++ loader picks the format by the file name: models.detector
etc. ending in .pt2 load with torch::inductor::AOTIModelPackageLoader (LibTorch 2.x).

A package is compiled for one device and one precision (no module.to(dtype) afterwards):
the config's models.device and models.precision must match it, or the loader's probe run
fails with one error naming the file. Writes <out-dir>/detector.pt2, encoder.pt2,
decoder.pt2 (decoder: any box count N from 2 to --max-boxes: torch.export specializes
sizes 0 and 1, and a package called with N = 1 runs code compiled for N >= 2 unchecked;
the C++ decoder call passes one box as two). The detector and encoder are compiled with Inductor's
freezing (weights folded as constants; ROLE_INDUCTOR_DEFAULTS says what it gained). For each it prints the
parity against the eager module, ms/forward against the TorchScript export's way of
running, whether a forward syncs with the host, and whether it captures in a CUDA graph.
Needs the GPU machine's PyTorch 2.x (and a C++ compiler, which Inductor calls).
"""

import argparse
import faulthandler
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from igtb_torch_common import (  # noqa: E402  (shared helpers, no upstream import)
    DTYPES, first_host_sync, graph_capture_check, max_diff, short_error, strict_fp32, time_ms)

ROLES = ("detector", "encoder", "decoder")
# Inductor options each role is compiled with unless --inductor-config says otherwise. freezing: the
# weights become constants Inductor folds (batch norms into convolutions, weight layouts chosen once):
# 765 -> 714 kernels a frame and 3.85 -> 3.67 ms back to back on the H100 (2026-12-07, issue 24), the
# masks and boxes as close to eager fp16 as before (docs/parity.md). The decoder (dynamic box count) stays
# unfrozen: not measured.
ROLE_INDUCTOR_DEFAULTS = {"detector": {"freezing": True}, "encoder": {"freezing": True}, "decoder": {}}


def log(msg):
    print("[export_aoti] %s" % msg, flush=True)


def build(role, args, dev, dtype):
    """(module in dtype on dev, example inputs, dynamic_shapes) of one role."""
    if role == "detector":
        import export_dfine

        model, _ = export_dfine.build_dfine(args.dfine_repo, args.size, args.dfine_checkpoint, "cpu", torch.float32,
                                            log=log)
        export_dfine.make_capture_safe(model)
        s = args.detector_input
        x = torch.rand(1, 3, s, s, generator=torch.Generator().manual_seed(1))
        return model.to(device=dev, dtype=dtype).eval(), (x.to(dev, dtype),), None
    import export_mobilesam

    sam, _ = export_mobilesam.build_mobilesam(args.mobilesam_repo, args.mobilesam_checkpoint, dev, log=log)
    enc = export_mobilesam.SamEncoder(sam).eval().to(dtype)
    img = export_mobilesam.test_image(dev, log=log).to(dtype)
    if role == "encoder":
        return enc, (img,), None
    dec = export_mobilesam.SamBoxDecoder(sam).eval().to(dtype)
    with torch.no_grad():
        # Contiguous, like every example input here: a package is compiled for its examples' strides
        # and checks them only under AOTI_RUNTIME_CHECK_INPUTS=1; the C++ side passes contiguous inputs.
        emb = enc(img).contiguous()
    boxes = export_mobilesam.random_boxes(min(3, args.max_boxes), torch.Generator().manual_seed(3)).to(dev, dtype)
    n = torch.export.Dim("boxes", min=2, max=args.max_boxes)  # 0 and 1 are specialized: see the docstring
    return dec, (emb, boxes), ({}, {1: n})


def export_one(role, args, dev, dtype):
    t0 = time.time()
    # Seed 0 before each role's model is built, as export_dfine.py and export_mobilesam.py do: with random
    # weights, a package must hold the same weights as the TorchScript export of its role (the parity
    # reference) whichever roles one call exports (building D-FINE first used to change MobileSAM's).
    torch.manual_seed(0)
    module, example, dynamic = build(role, args, dev, dtype)
    for p in module.parameters():
        p.requires_grad_(False)
    path = os.path.join(args.out_dir, role + ".pt2")
    with torch.no_grad(), sdpa_backends(args.sdpa):
        ep = torch.export.export(module, example, dynamic_shapes=dynamic, strict=False)
        t1 = time.time()
        configs = {**ROLE_INDUCTOR_DEFAULTS[role], **args.inductor_configs}
        torch._inductor.aoti_compile_and_package(ep, package_path=path, inductor_configs=configs)
    log("%s: exported in %.1f s, compiled in %.1f s -> %s (%.1f MB), %s on %s%s%s" % (
        role, t1 - t0, time.time() - t1, path, os.path.getsize(path) / 1e6, args.precision, dev,
        "; Inductor " + ", ".join("%s=%s" % kv for kv in sorted(configs.items())) if configs else "",
        "; attention " + args.sdpa if args.sdpa != "auto" else ""))
    if dev.type != "cuda" or args.no_checks:
        return
    compiled = torch._inductor.aoti_load_package(path)
    with torch.no_grad():
        want = module(*example)
        got = compiled(*example)
        want = want if isinstance(want, (tuple, list)) else (want,)
        got = got if isinstance(got, (tuple, list)) else (got,)
        log("%s: package vs eager (%s) max|d| %s" % (
            role, args.precision, ", ".join("%.3g" % max_diff(g, w) for g, w in zip(got, want))))
        if role == "decoder":  # the dynamic box count: other N than the example's, against eager
            from export_mobilesam import random_boxes

            for k in sorted({2, min(10, args.max_boxes), args.max_boxes}):
                b = random_boxes(k, torch.Generator().manual_seed(k)).to(dev, dtype)
                (m, i), (em, ei) = compiled(example[0], b), module(example[0], b)
                log("decoder N=%d: outputs %s %s, vs eager max|d| %.3g, %.3g" % (
                    k, tuple(m.shape), tuple(i.shape), max_diff(m, em), max_diff(i, ei)))
        where = first_host_sync(lambda: compiled(*example))
        why = graph_capture_check(lambda: compiled(*example))
        log("%s: first host sync %s; CUDA-graph capture %s" % (
            role, where or "none", "ok" if why is None else "FAILED: " + why))
        log("%s: ms/forward package %.3f, eager module %.3f" % (
            role, time_ms(lambda: compiled(*example)), time_ms(lambda: module(*example))))


def sdpa_backends(name):
    """A context in which scaled_dot_product_attention may use only the backend `name` ("auto": PyTorch's
    choice, which on the H100 is cuDNN's attention for these shapes). The choice is made when the graph is
    exported and lowered, so it is fixed in the package."""
    import contextlib

    if name == "auto":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([{"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
                         "math": SDPBackend.MATH, "cudnn": SDPBackend.CUDNN_ATTENTION}[name]])


def inductor_config(text):
    """KEY=VALUE for torch._inductor.config (True/False, integers and floats as such, else a string)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError("expected KEY=VALUE, got %r" % text)
    if value in ("True", "False"):
        return key, value == "True"
    for kind in (int, float):
        try:
            return key, kind(value)
        except ValueError:
            pass
    return key, value


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dfine-repo", help="upstream D-FINE checkout (for the detector)")
    ap.add_argument("--dfine-checkpoint")
    ap.add_argument("--size", default="s", choices=["n", "s", "m", "l", "x"])
    ap.add_argument("--mobilesam-repo", help="upstream MobileSAM checkout (for the encoder and decoder)")
    ap.add_argument("--mobilesam-checkpoint")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--precision", default="fp16", choices=sorted(DTYPES))
    ap.add_argument("--only", nargs="+", choices=ROLES, default=list(ROLES))
    ap.add_argument("--detector-input", type=int, default=640)
    ap.add_argument("--max-boxes", type=int, default=64, help="largest box count the decoder accepts")
    ap.add_argument("--no-checks", action="store_true",
                    help="skip loading the package back in Python (parity, syncs, capture, timing). With "
                         "PyTorch 2.11 on the GPU machine that load crashed (a segmentation fault in "
                         "aoti_load_package after the compile, 2026-12-07): the scripts pass this and measure "
                         "parity from the C++ side (scripts/gpu_precision.sh)")
    ap.add_argument("--inductor-config", type=inductor_config, action="append", default=[], metavar="KEY=VALUE",
                    help="an Inductor option for the compile (repeatable), e.g. max_autotune=True "
                         "coordinate_descent_tuning=True; unknown keys fail the export. The detector and encoder "
                         "have freezing=True unless this sets it")
    ap.add_argument("--sdpa", default="auto", choices=["auto", "flash", "efficient", "math", "cudnn"],
                    help="the attention backend compiled into the packages (default: PyTorch's choice)")
    args = ap.parse_args()
    args.inductor_configs = dict(args.inductor_config)
    if "detector" in args.only and not args.dfine_repo:
        ap.error("the detector needs --dfine-repo")
    if set(args.only) & {"encoder", "decoder"} and not args.mobilesam_repo:
        ap.error("the encoder and decoder need --mobilesam-repo")
    if not 2 <= args.max_boxes <= 64:
        ap.error("--max-boxes must be 2..64 (the pipeline's detect.top_k range; the C++ side passes one box as two)")

    faulthandler.enable()  # a crash inside Inductor or the package loader still says where
    strict_fp32()
    dev, dtype = torch.device(args.device), DTYPES[args.precision]
    os.makedirs(args.out_dir, exist_ok=True)
    failed = []
    for role in args.only:
        try:
            export_one(role, args, dev, dtype)
        except Exception as e:  # one role failing must not hide the others' results
            log("%s FAILED: %s" % (role, short_error(e)))
            failed.append(role)
    if failed:
        raise SystemExit("export_aoti: failed: %s" % ", ".join(failed))


if __name__ == "__main__":
    main()
