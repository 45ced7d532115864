#!/usr/bin/env python3
"""Export the real D-FINE detector from an upstream checkout as TorchScript.

    scripts/export_dfine.py --repo upstream/D-FINE [--checkpoint FILE] --size s \
        --out out/dfine_s.pt [--device cuda] [--precision fp32|fp16|bf16]

The upstream repository (github.com/Peterande/D-FINE) is given on the command
line and never copied into this one. The model is built with upstream's own
YAML config system (configs/dfine/dfine_hgnetv2_<size>_coco.yml, YAMLConfig)
and switched to deploy() mode as its tools/deployment/export_onnx.py does.

Contract of the written module (the pipeline's detector contract):
    forward(images[1, 3, 640, 640] in [0, 1], module dtype)
        -> (logits[1, Q, C], boxes[1, Q, 4] normalised cx, cy, w, h)
i.e. upstream's raw pred_logits / pred_boxes, not its post-processor
(Q = 300 queries, C = 80 COCO classes for the COCO configs).

Without --checkpoint the weights are random (D-FINE's trained checkpoints are
not in its repository): the architecture and so the speed are real, the boxes
are not. A loud line says so.

Known trap handled here: upstream's HybridEncoder keeps its precomputed sine
position embeddings as plain tensor attributes (pos_embed2, not registered
buffers), so `.to(cuda)` leaves them on the CPU and every forward copies them
host->device (and torch.jit.trace bakes them as constants of the trace
device). Every plain tensor attribute of every submodule is turned into a
non-persistent registered buffer before tracing, so the traced module carries
them as attributes that follow module.to(device / dtype). The script checks
that the traced module matches eager, loads back with torch.jit.load on the
device, and that a forward of the loaded module does no host->device copy
(CUDA profiler activity records).

Upstream imports some packages only its training/eval code needs
(faster_coco_eval, ...). Where one is missing, a stub module stands in so that
the model code imports; each stub is printed.
"""

import argparse
import copy
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
    add_device_args, add_upstream_repo, count_copies, export_setup, first_host_sync, graph_capture_check, host_syncs,
    load_weights, max_diff, short_error, time_ms)

# Top-level packages that must be real: the model itself depends on them.
_NEVER_STUB = {"src", "torch", "torchvision", "yaml", "numpy"}


class _Dummy:
    """Stands in for any class or function of a stubbed training-only package."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return None


class _StubModule(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Dummy


def _install_stub(name):
    mod = _StubModule(name)
    mod.__path__ = []  # a package, so that submodules import too
    mod.__file__ = "<stub for %s>" % name
    sys.modules[name] = mod
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, mod)


def _purge(prefix):
    for k in list(sys.modules):
        if k == prefix or k.startswith(prefix + "."):
            del sys.modules[k]


def import_dfine(repo):
    """Imports upstream's `src` package from `repo`; returns (YAMLConfig, stubbed names)."""
    add_upstream_repo(repo, "src/zoo/dfine", "D-FINE")
    stubbed = []
    for _ in range(30):
        try:
            from src.core import YAMLConfig  # noqa: E402  (upstream)

            return YAMLConfig, stubbed
        except ModuleNotFoundError as e:
            name = e.name or ""
            top = name.split(".")[0]
            # A missing model dependency (or upstream's own package) is a real error.
            if not name or name in stubbed or top == "src" or name in _NEVER_STUB:
                raise
            # Only training / evaluation code imports these (datasets, COCO eval,
            # logging): the model does not run any of it.
            print("[export_dfine] stub for missing package %r (training/eval-only import)" % name)
            _install_stub(name)
            stubbed.append(name)
            _purge("src")
    raise RuntimeError("too many missing imports while importing D-FINE")


def register_plain_tensors(model):
    """Turns plain tensor attributes of submodules into non-persistent buffers.

    Returns the list of qualified names converted."""
    fixed = []
    for mname, m in model.named_modules():
        for k, v in list(m.__dict__.items()):
            if isinstance(v, torch.Tensor) and not isinstance(v, nn.Parameter):
                delattr(m, k)
                m.register_buffer(k, v, persistent=False)
                fixed.append("%s.%s" % (mname, k) if mname else k)
    return fixed


class CaptureSafeAttention(nn.Module):
    """nn.MultiheadAttention (batch_first, packed q/k/v projection, no masks, eval) as plain tensor ops with
    the same weights: traced, D-FINE-S's four nn.MultiheadAttention calls (1 encoder + 3 decoder layers) come
    with four device-scalar reads a forward (CUPTI: D2H aten::item < forward, 4.0), host syncs that make
    CUDA-graph capture fail; the eager module makes none. Returns (output, None) as need_weights=False does."""

    def __init__(self, mha):
        super().__init__()
        if not (mha.batch_first and mha._qkv_same_embed_dim and mha.in_proj_bias is not None):
            raise ValueError("CaptureSafeAttention: batch_first, packed projection with bias only")
        self.num_heads = mha.num_heads
        self.head_dim = mha.embed_dim // mha.num_heads
        self.in_proj_weight = mha.in_proj_weight
        self.in_proj_bias = mha.in_proj_bias
        self.out_proj = mha.out_proj

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        if key_padding_mask is not None or attn_mask is not None or is_causal:
            raise RuntimeError("CaptureSafeAttention takes no masks (D-FINE in deploy mode has none)")
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        # Head sizes are Python ints fixed at construction: arithmetic on traced sizes (`e // h`) is
        # recorded as floor_divide with a tensor constant on the trace's device, and reading it back as an
        # int is a device-to-host sync every forward (that, not attention itself, was upstream's sync).
        b, h, d = query.shape[0], self.num_heads, self.head_dim

        def heads(t, w, bias):
            return F.linear(t, w, bias).reshape(b, -1, h, d).transpose(1, 2)

        o = F.scaled_dot_product_attention(heads(query, w_q, b_q), heads(key, w_k, b_k), heads(value, w_v, b_v))
        return self.out_proj(o.transpose(1, 2).reshape(b, -1, h * d)), None


def make_capture_safe(model):
    """Replaces every nn.MultiheadAttention of model by CaptureSafeAttention; returns their names."""
    names = [n for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]
    for name in names:
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, CaptureSafeAttention(getattr(parent, attr)))
    return names


class DFineRaw(nn.Module):
    """images[1,3,H,W] in [0,1] -> (pred_logits[1,Q,C], pred_boxes[1,Q,4] cxcywh normalised)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        out = self.model(images)
        return out["pred_logits"], out["pred_boxes"]


def build_dfine(repo, size="s", checkpoint=None, device="cuda", dtype=torch.float32, log=print):
    """Builds D-FINE (deploy mode, plain tensors registered as buffers) wrapped in DFineRaw.

    Returns (module on device in dtype, info dict)."""
    YAMLConfig, stubbed = import_dfine(repo)
    cfg_path = os.path.join(os.path.abspath(repo), "configs", "dfine", "dfine_hgnetv2_%s_coco.yml" % size)
    if not os.path.isfile(cfg_path):
        raise SystemExit("no config %s" % cfg_path)
    cfg = YAMLConfig(cfg_path)
    if "HGNetv2" in cfg.yaml_cfg:
        cfg.yaml_cfg["HGNetv2"]["pretrained"] = False  # no download of backbone weights
    model = cfg.model
    weights = load_weights(model, checkpoint, "export_dfine",
                           "no --checkpoint given (D-FINE's trained checkpoints are not in its repository)",
                           extract=lambda st: st["ema"]["module"] if "ema" in st else st.get("model", st), log=log)
    model = model.deploy()
    fixed = register_plain_tensors(model)
    log("[export_dfine] plain tensor attributes registered as buffers: %s" % (", ".join(fixed) or "none"))
    # Second trap: DFINETransformer.reg_scale is nn.Parameter(torch.tensor([4])), an int64 [1] tensor, so
    # module.to(fp16) leaves it alone and `0.5 * reg_scale + distance` promotes the fp16 boxes to fp32
    # (then "mat1 and mat2 must have the same dtype" in query_pos_head). Same values as floats.
    ints = []
    for mname, m in model.named_modules():
        for k, p in list(m._parameters.items()):
            if p is not None and not (p.is_floating_point() or p.is_complex()):
                m._parameters[k] = nn.Parameter(p.detach().to(torch.float32), requires_grad=False)
                ints.append("%s.%s" % (mname, k) if mname else k)
    log("[export_dfine] integer parameters made float (so they follow module.to(dtype)): %s" % (
        ", ".join(ints) or "none"))
    wrapper = DFineRaw(model).eval().to(device=device, dtype=dtype)
    for p in wrapper.parameters():
        p.requires_grad_(False)
    info = {
        "config": os.path.relpath(cfg_path, os.path.abspath(repo)),
        "weights": weights,
        "stubbed_imports": stubbed,
        "buffers_fixed": fixed,
        "int_params_made_float": ints,
        "eval_spatial_size": cfg.yaml_cfg.get("eval_spatial_size"),
    }
    return wrapper, info


def device_constants(scripted):
    """Device names that appear as constants in the inlined graph (devices baked by the trace)."""
    found = set()
    try:
        g = scripted.inlined_graph
        for n in g.nodes():
            if n.kind() == "prim::Constant":
                s = str(n)
                for d in ("cuda", "cpu"):
                    if 'value="%s' % d in s:
                        found.add(s.split('value="')[1].split('"')[0])
    except Exception as e:  # informative only
        found.add("unknown (%s)" % e)
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", required=True, help="upstream D-FINE checkout")
    ap.add_argument("--checkpoint", help="D-FINE .pth (model or ema); random weights without it")
    ap.add_argument("--size", default="s", choices=["n", "s", "m", "l", "x"])
    ap.add_argument("--out", required=True, help="TorchScript file to write")
    add_device_args(ap)
    ap.add_argument("--input-size", type=int, default=640)
    ap.add_argument("--no-checks", action="store_true", help="skip the fp16/bf16 parity and timing")
    ap.add_argument("--keep-attention", action="store_true",
                    help="keep upstream's nn.MultiheadAttention (its traced form syncs with the host 4x a forward)")
    args = ap.parse_args()

    dev, dtype = export_setup(args)
    t0 = time.time()
    model, info = build_dfine(args.repo, args.size, args.checkpoint, "cpu", torch.float32)
    ref32 = copy.deepcopy(model).to(dev)  # fp32 eager on the device, for the parity numbers (upstream attention)
    if not args.keep_attention:
        print("[export_dfine] nn.MultiheadAttention -> CaptureSafeAttention: %s" % ", ".join(make_capture_safe(model)))
    model = model.to(device=dev, dtype=dtype)
    s = args.input_size
    x = torch.rand(1, 3, s, s, generator=torch.Generator().manual_seed(1)).to(dev)
    xd = x.to(dtype)

    with torch.inference_mode():
        eager = model(xd)
        if not args.keep_attention:
            up = ref32(x)
            print("[export_dfine] parity CaptureSafeAttention (%s) vs upstream attention (fp32): logits max|d| %.3g, "
                  "boxes max|d| %.3g" % (args.precision, max_diff(eager[0], up[0]), max_diff(eager[1], up[1])))
    print("[export_dfine] D-FINE-%s built in %.1fs, outputs logits%s %s boxes%s %s" % (
        args.size.upper(), time.time() - t0, tuple(eager[0].shape), eager[0].dtype, tuple(eager[1].shape),
        eager[1].dtype))

    with torch.no_grad():
        traced = torch.jit.trace(model, (xd,), check_trace=False)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)) or ".", exist_ok=True)
    traced.save(args.out)
    print("[export_dfine] wrote %s (%.1f MB), traced on %s in %s at %dx%d" % (
        args.out, os.path.getsize(args.out) / 1e6, dev, args.precision, s, s))
    print("[export_dfine] device constants in the traced graph: %s" % (device_constants(traced) or "none"))
    try:  # informative: a failure here must not fail the export
        syncs = host_syncs(traced)
    except Exception as e:
        syncs = ["(host_syncs failed: %s)" % short_error(e)]
    print("[export_dfine] scalar reads of computed tensors in the traced graph (host syncs on CUDA, they block "
          "CUDA-graph capture): %d" % len(syncs))
    for where in syncs:
        print("[export_dfine]   %s" % where)

    loaded = torch.jit.load(args.out, map_location=dev).eval()
    with torch.no_grad():
        for _ in range(3):  # the profiling executor specialises over the first calls
            tr = traced(xd)
            ld = loaded(xd)
    print("[export_dfine] parity traced vs eager (%s): logits max|d| %.3g, boxes max|d| %.3g" % (
        args.precision, max_diff(tr[0], eager[0]), max_diff(tr[1], eager[1])))
    print("[export_dfine] parity jit.load(map_location=%s) vs eager: logits max|d| %.3g, boxes max|d| %.3g" % (
        dev, max_diff(ld[0], eager[0]), max_diff(ld[1], eager[1])))
    if dev.type == "cuda":
        with torch.no_grad():
            h2d, d2h, owners = count_copies(lambda: loaded(xd))
            h2d_e, d2h_e, owners_e = count_copies(lambda: model(xd))
        print("[export_dfine] copies per forward: loaded TorchScript H2D %.1f D2H %.1f %s; eager (buffers fixed) "
              "H2D %.1f D2H %.1f %s" % (h2d, d2h, owners, h2d_e, d2h_e, owners_e))
        with torch.no_grad():
            where = first_host_sync(lambda: loaded(xd))
            why = graph_capture_check(lambda: loaded(xd))
        print("[export_dfine] first host sync of the loaded TorchScript: %s" % (where or "none"))
        print("[export_dfine] CUDA-graph capture of the loaded TorchScript: %s" % (
            "ok" if why is None else "FAILED: " + why))
    if args.no_checks or dev.type != "cuda":
        return
    with torch.no_grad():
        print("[export_dfine] eager fp32 module ms/forward %.3f" % time_ms(lambda: ref32(x)))
        print("[export_dfine] loaded TorchScript (%s) ms/forward %.3f" % (args.precision, time_ms(lambda: loaded(xd))))
        feats = {}

        def grab(key):
            def hook(_m, _i, out):
                feats[key] = [t.float() for t in out]
            return hook

        h = ref32.model.encoder.register_forward_hook(grab("fp32"))
        r32 = ref32(x)
        h.remove()
        for name, dt in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
            m = copy.deepcopy(ref32).to(dt)
            m.model.encoder.register_forward_hook(grab(name))
            try:
                o = m(x.to(dt))
            except Exception as e:
                print("[export_dfine] %s eager FAILED: %s" % (name, short_error(e)))
                continue
            # Before the top-k query selection (which random weights turn into near-ties): the encoder's
            # feature maps, relative to the largest fp32 value of each level.
            print("[export_dfine] %s eager vs fp32 eager: hybrid-encoder features max|d|/max|ref| per level %s" % (
                name, ", ".join("%.2g" % ((a - b).abs().max().item() / b.abs().max().item())
                                for a, b in zip(feats[name], feats["fp32"]))))
            print("[export_dfine] %s eager vs fp32 eager: logits max|d| %.3g (fp32 logits range %.3g..%.3g), "
                  "boxes max|d| %.3g, top-10 query overlap %d/10" % (
                      name, max_diff(o[0], r32[0]), r32[0].min().item(), r32[0].max().item(), max_diff(o[1], r32[1]),
                      len(set(o[0][0].float().amax(-1).topk(10).indices.tolist())
                          & set(r32[0][0].amax(-1).topk(10).indices.tolist()))))
            del m
        if args.precision == "fp32":
            # What the C++ loader does for fp16: torch::jit::load(fp32 file, device) then module.to(kHalf).
            half = torch.jit.load(args.out, map_location=dev).eval()
            half.to(torch.float16)
            e16 = copy.deepcopy(ref32).to(torch.float16)
            xh = x.half()
            try:
                for _ in range(3):
                    h = half(xh)
                o = e16(xh)
                print("[export_dfine] fp32 file + .to(fp16) after load vs fp16 eager: logits max|d| %.3g, boxes %.3g; "
                      "output dtypes %s %s; ms/forward %.3f" % (
                          max_diff(h[0], o[0]), max_diff(h[1], o[1]), h[0].dtype, h[1].dtype,
                          time_ms(lambda: half(xh))))
            except Exception as e:
                print("[export_dfine] fp32 file + .to(fp16) after load FAILED: %s" % short_error(e))


if __name__ == "__main__":
    main()
