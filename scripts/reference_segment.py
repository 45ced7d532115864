#!/usr/bin/env python3
"""The Python reference of the segment shape: a semantic segmentation network, as aigt serves it.

    python3 scripts/reference_segment.py --model unet.pt --frames 300 \
        --recording tests/data/SpinePhantomFreehand.igs.mha --precision fp16 --mode compile --json out/ref.json

What SlicerIGT/aigt's RealtimeInferenceOverOpenIGTLink.py does per frame,
GPU-resident and batched as a Python user would tune it: the frame uploaded
once, resized (bilinear) to the model's S x S with its values as they are
(0..255, aigt's normalisation), the model, softmax over the classes, the
probabilities resized back to the frame, the class map (argmax) and the
foreground probability x 255 as uint8, one .cpu() of both; then, as the
bridge does on the host, the class map's 8-connected regions
(scipy.ndimage.label where scipy is installed; counted as objects). The model
is the same TorchScript file the bridge runs (S and C from its config.json).

Modes: eager, and compile (torch.compile(mode="reduce-overhead") of the
model and the tensor steps; the TorchScript file is loaded with
torch.jit.load, so compile wraps the module's forward). The per-frame time is
end to end: from the numpy frame's upload to the host arrays, warm-up frames
excluded. The JSON has the fields igtbridge-bench gpu reads
(scripts/reference_pipeline.py's).
"""

import argparse
import json
import os
import platform
import sys
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from reference_pipeline import read_mha  # noqa: E402  (the same recording reader)

DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def model_shape(path):
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith("/extra/config.json"):
                shape = json.loads(z.read(name).decode("utf-8")).get("shape")
                if shape:
                    return int(shape[1]), int(shape[2])
    raise SystemExit("%s: no config.json with a shape (export it with scripts/export_unet.py or aigt's train.py)" % path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="TorchScript file with config.json (the one the bridge runs)")
    ap.add_argument("--recording", default=os.path.join(HERE, "..", "tests", "data", "SpinePhantomFreehand.igs.mha"))
    ap.add_argument("--frames", type=int, default=300, help="timed frames (the recording loops)")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--precision", default="fp32", choices=sorted(DTYPES))
    ap.add_argument("--mode", default="eager", choices=["eager", "compile"])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F
    from igtb_torch_common import count_copies

    try:
        from scipy import ndimage
        label_regions = lambda m: ndimage.label(m > 0, structure=np.ones((3, 3)))[1]  # noqa: E731
        regions_by = "scipy.ndimage.label (8-connected)"
    except ImportError:
        label_regions = None
        regions_by = "none (no scipy)"

    dev = torch.device(args.device)
    dtype = getattr(torch, DTYPES[args.precision])
    channels, size = model_shape(args.model)
    frames = read_mha(args.recording)
    if frames.ndim == 4:
        frames = frames.mean(axis=3).astype(np.uint8)
    nf, H, W = frames.shape
    torch.backends.cudnn.benchmark = True
    model = torch.jit.load(args.model, map_location=dev).eval().to(dtype)
    memory_before = torch.cuda.mem_get_info(dev)[1] - torch.cuda.mem_get_info(dev)[0] if dev.type == "cuda" else None

    def tensor_step(u8):
        x = u8.to(torch.float32)[None, None]
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        x = x.expand(1, channels, size, size).to(dtype)
        p = torch.softmax(model(x).float(), dim=1)
        p = F.interpolate(p, size=(H, W), mode="bilinear", align_corners=False)[0]
        classes = p.argmax(0).to(torch.uint8)
        fg = ((1.0 - p[0]).clamp(0, 1) * 255.0).round().to(torch.uint8)
        return torch.stack([classes, fg])

    step = torch.compile(tensor_step, mode="reduce-overhead") if args.mode == "compile" else tensor_step
    times, objects = [], []
    t_start = time.time()
    first_s = None
    with torch.inference_mode():
        for i in range(args.warmup + args.frames):
            if args.mode == "compile":
                torch.compiler.cudagraph_mark_step_begin()
            t0 = time.perf_counter()
            out = step(torch.from_numpy(frames[i % nf]).to(dev)).cpu().numpy()  # H2D, one D2H
            n = label_regions(out[0]) if label_regions else 0
            t1 = time.perf_counter()
            if i == 0:
                first_s = time.time() - t_start
            if i >= args.warmup:
                times.append((t1 - t0) * 1e3)
                objects.append(n)
        copies = None
        try:
            counter = [0]

            def one_frame():
                if args.mode == "compile":
                    torch.compiler.cudagraph_mark_step_begin()
                step(torch.from_numpy(frames[counter[0] % nf]).to(dev)).cpu()
                counter[0] += 1

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
        "mode": args.mode, "precision": args.precision,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor(),
        "torch": torch.__version__, "frames": len(times), "warmup_frames": args.warmup, "frame_size": [W, H],
        "p50_ms": float(np.percentile(t, 50)), "p95_ms": float(np.percentile(t, 95)),
        "p99_ms": float(np.percentile(t, 99)), "mean_ms": float(t.mean()), "fps": float(len(t) / (t.sum() / 1e3)),
        "objects_per_frame": float(np.mean(objects)), "regions": regions_by, "copies": copies,
        "gpu_memory_mib": gpu_memory_mib, "first_frame_s": first_s, "model": os.path.basename(args.model),
        "model_input": [1, channels, size, size], "recording": os.path.basename(args.recording),
        "host_cpus": os.cpu_count(),
    }
    print("[reference] segment %s %s on %s, torch %s: p50 %.2f  p95 %.2f  p99 %.2f ms, %.1f fps, %.1f regions/frame "
          "(%s), copies %s" % (res["mode"], res["precision"], res["device"], res["torch"], res["p50_ms"],
                               res["p95_ms"], res["p99_ms"], res["fps"], res["objects_per_frame"], regions_by, copies))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
