"""Helpers shared by scripts/export_dfine.py, scripts/export_mobilesam.py and scripts/reference_pipeline.py.

Needs torch (the GPU machine's PyTorch). Imports nothing from the upstream
checkouts; add_upstream_repo only puts one on sys.path.
"""

import collections
import os
import sys

import torch

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}

# SAM's image normalisation (ImageNet mean / std on the 0-255 scale).
SAM_PIXEL_MEAN = (123.675, 116.28, 103.53)
SAM_PIXEL_STD = (58.395, 57.12, 57.375)


def add_upstream_repo(repo, marker, what):
    """Checks that `repo` holds `marker` (a folder) and puts it first on sys.path. Returns its absolute path."""
    repo = os.path.abspath(repo)
    if not os.path.isdir(os.path.join(repo, marker)):
        raise SystemExit("%s does not look like a %s checkout (no %s)" % (repo, what, marker))
    if repo not in sys.path:
        sys.path.insert(0, repo)
    return repo



def usable_checkpoint(path, tag):
    """True when path names a real weights file (not absent, not a Git LFS pointer)."""
    if not path:
        return False
    if not os.path.isfile(path):
        print("[%s] checkpoint %s not found" % (tag, path))
        return False
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(b"version https://git-lfs"):
        print("[%s] checkpoint %s is a Git LFS pointer, not the weights" % (tag, path))
        return False
    return True


def load_weights(model, checkpoint, tag, why_random, extract=lambda state: state, log=print):
    """Loads checkpoint's state dict (through extract) into model, or says loudly that the weights
    stay random (why_random: why no checkpoint). Returns the weights' description for the results."""
    if usable_checkpoint(checkpoint, tag):
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        model.load_state_dict(extract(state))
        log("[%s] loaded weights from %s" % (tag, checkpoint))
        return "checkpoint %s" % checkpoint
    log("[%s] WEIGHTS ARE RANDOM: %s; the architecture and its speed are real, its outputs are not" % (tag, why_random))
    return "random"

def strict_fp32():
    """No TF32 in matmul / cuDNN: a true fp32 reference for the parity numbers."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def add_device_args(ap):
    """The --device and --precision options of the export scripts."""
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--precision", default="fp32", choices=sorted(DTYPES))


def export_setup(args):
    """strict_fp32() and seed 0; returns (torch.device, dtype) of --device / --precision."""
    strict_fp32()  # a true fp32 reference for the parity numbers
    dev = torch.device(args.device)
    dtype = DTYPES[args.precision]
    torch.manual_seed(0)
    return dev, dtype


def count_copies(fn, iters=3):
    """Host<->device copies per call of fn (CUDA memcpy activity records), after one warm call.

    Returns (h2d, d2h, owners): owners lists the CPU ops (innermost < parents) that issued them."""
    from torch.profiler import ProfilerActivity, profile

    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(iters):
            fn()
        torch.cuda.synchronize()
    events = prof.events()
    h2d = sum("Memcpy HtoD" in (e.name or "") for e in events)
    d2h = sum("Memcpy DtoH" in (e.name or "") for e in events)
    owners = collections.Counter()
    for e in events:
        for k in getattr(e, "kernels", None) or []:
            kn = getattr(k, "name", "") or ""
            if "Memcpy DtoH" in kn or "Memcpy HtoD" in kn:
                chain, p = [e.name], getattr(e, "cpu_parent", None)
                while p is not None and len(chain) < 4:
                    chain.append(p.name)
                    p = getattr(p, "cpu_parent", None)
                owners[("D2H " if "DtoH" in kn else "H2D ") + " < ".join(chain)] += 1
    return h2d / iters, d2h / iters, [(k, v / iters) for k, v in owners.most_common(6)]


def first_host_sync(fn, warm=3):
    """None, or where fn first synchronises with the host on CUDA (an .item(), a device-to-host copy)
    after `warm` calls (TorchScript's profiling executor specialises over the first calls): torch.cuda's
    sync debug mode turns that sync into an error whose text, for a TorchScript module, carries the
    serialized code and the original Python source line of the op."""
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        fn()
        return None
    except RuntimeError as e:
        lines = [l.rstrip() for l in str(e).splitlines() if l.strip()]
        return " | ".join(lines[-14:])[:1800]
    finally:
        torch.cuda.set_sync_debug_mode(0)
        torch.cuda.synchronize()


def graph_capture_check(fn):
    """None when fn can be captured in a CUDA graph (and the replay runs), else the reason."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    try:
        with torch.cuda.stream(s):
            fn()  # warm-up on the side stream, as torch.cuda.graphs recommends
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            fn()
        g.replay()
        torch.cuda.synchronize()
        return None
    except Exception as e:
        torch.cuda.synchronize()
        return short_error(e, 500)


def short_error(e, n=700):
    """The end of an exception's text (TorchScript puts the failing op and the real error last)."""
    lines = [l for l in str(e).splitlines() if l.strip()]
    return " | ".join(lines[-8:])[-n:]


def time_ms(fn, iters=50, warm=10):
    """Median GPU time of fn in ms (CUDA events around each call), after `warm` untimed calls."""
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b))
    ts.sort()
    return ts[len(ts) // 2]


def max_diff(a, b):
    return (a.float() - b.float()).abs().max().item()


# Graph ops that turn a tensor into a host number: on a CUDA tensor each one is a
# device-to-host copy and a sync, which also makes CUDA-graph capture fail.
_SCALAR_OPS = {"aten::item", "aten::_local_scalar_dense", "aten::Int", "aten::Float", "aten::Bool",
               "aten::is_nonzero", "aten::ScalarImplicit", "aten::IntImplicit", "aten::FloatImplicit", "aten::tolist"}
# Where a traced graph does arithmetic on sizes it wraps them in 0-d CPU tensors (prim::NumToTensor):
# scalar reads of such values stay on the host.
_HOST_SOURCES = {"aten::size", "prim::Constant", "prim::NumToTensor", "aten::len", "aten::dim", "aten::numel"}
_HOST_ARITH = {"aten::mul", "aten::div", "aten::add", "aten::sub", "aten::floor_divide", "aten::floordiv",
               "aten::remainder", "aten::neg", "aten::Int", "aten::Float", "aten::ScalarImplicit", "aten::sqrt",
               "aten::floor", "aten::ceil", "aten::to", "aten::detach", "aten::clone", "prim::ListUnpack",
               "prim::TupleUnpack"}


def _host_only(value, memo):
    key = value.unique()
    if key not in memo:
        memo[key] = False  # cycles (loop-carried values) count as device values
        n = value.node()
        if n.kind() == "prim::Constant" and value.type().kind() == "TensorType":
            # A tensor baked into the trace lives where it was made: `e // h` on traced sizes records h as
            # a tensor constant on the trace's device, and the int read of the result is a device sync.
            t = value.toIValue()
            memo[key] = not (isinstance(t, torch.Tensor) and t.device.type != "cpu")
        elif n.kind() in _HOST_SOURCES:
            memo[key] = True
        elif n.kind() in _HOST_ARITH:
            memo[key] = all(_host_only(v, memo) for v in n.inputs()
                            if v.type().kind() in ("TensorType", "IntType", "FloatType", "NumberType"))
    return memo[key]


def _all_nodes(block):
    for n in block.nodes():
        yield n
        for b in n.blocks():  # inside prim::If / prim::Loop
            yield from _all_nodes(b)


def host_syncs(module):
    """['op from producer: source line'] of the scalar reads in a TorchScript module's inlined graph
    (nested blocks included) whose input may be a device tensor; reads derived only from sizes and
    constants stay on the host and are left out."""
    out, memo = [], {}
    for n in _all_nodes(module.inlined_graph):
        if n.kind() not in _SCALAR_OPS:
            continue
        inputs = list(n.inputs())
        if not inputs or _host_only(inputs[0], memo):
            continue
        try:
            where = " | ".join(l.strip() for l in n.sourceRange().strip().splitlines()[:4])
        except Exception:  # informative only
            where = "?"
        out.append("%s from %s: %s" % (n.kind(), inputs[0].node().kind(), where[:400]))
    return out
