#include "models/demo_models.hpp"

#include <filesystem>

namespace igtb {
namespace {

// D-FINE contract: forward(images[B, 3, S, S] in [0, 1]) -> (logits[B, Q, 1], boxes[B, Q, 4] cx, cy, w, h in [0, 1]).
constexpr const char* kDetector = R"(
def forward(self, images: Tensor) -> Tuple[Tensor, Tensor]:
    b = images.size(0)
    n = images.size(2) // 8
    q = 10
    dev = images.device
    g = images.float().mean(1)[:, :n * 8, :n * 8]
    c = g.reshape(b, n, 8, n, 8).mean(4).mean(2)
    flat = c.reshape(b, n * n)
    thr = torch.clamp(flat.mean(1) + 1.5 * flat.std(1), min=0.35)
    bright = c > thr.reshape(b, 1, 1)
    idx = torch.arange(1, n * n + 1, device=dev).float().reshape(1, n, n).expand(b, n, n)
    zero = torch.zeros_like(c)
    lab = torch.where(bright, idx, zero)
    for _ in range(48):
        grown = torch.max_pool2d(lab.unsqueeze(1), [3, 3], [1, 1], [1, 1]).squeeze(1)
        lab = torch.where(bright, grown, zero)
    labl = lab.reshape(b, n * n).long()
    counts = flat.new_zeros([b, n * n + 1]).scatter_add(1, labl, torch.ones_like(flat))
    sums = flat.new_zeros([b, n * n + 1]).scatter_add(1, labl, flat)
    root = (labl.float() == idx.reshape(b, n * n)) & bright.reshape(b, n * n)
    size = counts[:, 1:]
    key = torch.where(root, size, torch.full_like(size, -1.0))
    top, which = torch.topk(key, q, 1)
    ids = which + 1
    sel = labl.unsqueeze(1) == ids.unsqueeze(2)
    cells = torch.arange(0, n * n, device=dev)
    rows = torch.div(cells, n, rounding_mode='floor').float().reshape(1, 1, n * n).expand(b, q, n * n)
    cols = torch.remainder(cells, n).float().reshape(1, 1, n * n).expand(b, q, n * n)
    hi = torch.full_like(rows, float(n))
    lo = torch.full_like(rows, -1.0)
    r0 = torch.where(sel, rows, hi).amin(2)
    r1 = torch.where(sel, rows, lo).amax(2)
    c0 = torch.where(sel, cols, hi).amin(2)
    c1 = torch.where(sel, cols, lo).amax(2)
    valid = top >= 4.0
    mean = sums.gather(1, ids) / counts.gather(1, ids).clamp(min=1.0)
    logit = torch.where(valid, 4.0 + 10.0 * (mean - thr.reshape(b, 1)), torch.full_like(mean, -20.0))
    w = torch.where(valid, (c1 - c0 + 1.0) / n, torch.zeros_like(mean))
    h = torch.where(valid, (r1 - r0 + 1.0) / n, torch.zeros_like(mean))
    cx = torch.where(valid, (c0 + c1 + 1.0) / (2.0 * n), torch.full_like(mean, 0.5))
    cy = torch.where(valid, (r0 + r1 + 1.0) / (2.0 * n), torch.full_like(mean, 0.5))
    boxes = torch.stack([cx, cy, w, h], 2)
    return logit.unsqueeze(2).to(images.dtype), boxes.to(images.dtype)
)";

// SAM image encoder contract: forward(image[1, 3, 1024, 1024], ImageNet-normalised) -> embeddings.
// Undoing the ImageNet normalisation, averaging the channels and 4x4 pixels
// is all linear, so one strided convolution; its weights are buffers (made in
// make_demo_model), so they move with the module and no frame uploads them.
constexpr const char* kEncoder = R"(
def forward(self, image: Tensor) -> Tensor:
    e = torch.conv2d(image.float(), self.weight.float(), self.bias.float(), [4, 4])
    return e.to(image.dtype)
)";

// SAM mask decoder contract: forward(embeddings, boxes[1, N, 4] x0, y0, x1, y1 in the 1024 frame)
//   -> (mask_logits[N, 1, 256, 256], iou[N, 1]).
constexpr const char* kDecoder = R"(
def forward(self, embeddings: Tensor, boxes: Tensor) -> Tuple[Tensor, Tensor]:
    dev = embeddings.device
    s = embeddings.size(2)
    k = torch.ones([1, 1, 5, 5], device=dev).float() / 25.0
    e = torch.conv2d(embeddings.float(), k, None, [1, 1], [2, 2])[0, 0]
    bx = boxes[0].float() * (s / 1024.0)
    n = bx.size(0)
    coord = torch.arange(0, s, device=dev).float() + 0.5
    xs = coord.reshape(1, 1, s)
    ys = coord.reshape(1, s, 1)
    x0 = bx[:, 0].reshape(n, 1, 1)
    y0 = bx[:, 1].reshape(n, 1, 1)
    x1 = bx[:, 2].reshape(n, 1, 1)
    y1 = bx[:, 3].reshape(n, 1, 1)
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    m = 0.15 * torch.max(x1 - x0, y1 - y0) + 2.0
    grown = (xs >= x0 - m) & (xs <= x1 + m) & (ys >= y0 - m) & (ys <= y1 + m)
    ee = e.unsqueeze(0).expand(n, s, s)
    big = torch.full_like(ee, 2.0)
    hi = torch.where(inside, ee, -big).amax([1, 2])
    lo = torch.where(inside, ee, big).amin([1, 2])
    thr = (0.5 * (hi + lo)).reshape(n, 1, 1)
    logits = torch.where(grown, (ee - thr) * 40.0, torch.full_like(ee, -20.0))
    area = grown.float().sum([1, 2]).clamp(min=1.0)
    iou = (logits > 0).float().sum([1, 2]) / area
    return logits.unsqueeze(1).to(embeddings.dtype), iou.unsqueeze(1).to(embeddings.dtype)
)";

// Semantic segmentation contract (pipeline.kind: segment, aigt's kind):
// forward(image[1, 1, S, S], pixel values 0..255) -> logits[1, 2, S, S]
// (background, bone surface). See demo_models.hpp for what it computes.
constexpr const char* kSegmentation = R"(
def forward(self, image: Tensor) -> Tensor:
    x = image.float() / 255.0
    # the imaged area: rows and columns that are not all black (the frame has black margins)
    inside = ((x.mean(2, keepdim=True) > 0.002).float() * (x.mean(3, keepdim=True) > 0.002).float()).expand_as(x).contiguous()
    g = torch.conv2d(x, self.smooth.float(), None, [1, 1], [2, 5])
    # mean intensity 6..28 rows below, 7 columns wide, over imaged pixels only
    kb = self.below.float()
    bcov = torch.conv2d(inside, kb, None, [1, 1], [32, 0])
    b = torch.avg_pool2d(torch.conv2d(g * inside, kb, None, [1, 1], [32, 0]) / bcov.clamp(min=1.0), [1, 7], [1, 1], [0, 3], False, False)
    # bright AND shadowed below (soft AND = min of logits)
    bright = 10.0 * (g - 0.35)
    shadow = 10.0 * (0.4 - b / (g + 0.05))
    c = torch.min(bright, shadow)
    c = torch.where((bcov > 0.5 * kb.sum()) & (inside > 0.5), c, torch.full_like(c, -10.0))
    # horizontal opening: drop candidates narrower than 9 px
    c = torch.max_pool2d(-torch.max_pool2d(-c, [1, 9], [1, 1], [0, 4]), [1, 9], [1, 1], [0, 4])
    # allow up to 6 rows above a candidate (the top of the reflection), then keep the vertical brightness ridge
    reach = torch.max_pool2d(torch.constant_pad_nd(c, [0, 0, 0, 6], -10.0), [7, 1], [1, 1], [0, 0])
    gr = torch.avg_pool2d(g, [3, 9], [1, 1], [1, 4], False, False)
    ridge = 3.0 + 40.0 * (gr - torch.max_pool2d(gr, [15, 1], [1, 1], [7, 0]))
    s = torch.min(torch.min(reach, bright), ridge)
    s = torch.max_pool2d(-torch.max_pool2d(-s, [1, 7], [1, 1], [0, 3]), [1, 7], [1, 1], [0, 3])
    return torch.cat([-s, s], 1).to(image.dtype)
)";

/// What the demo segmentation model's file says about itself, as aigt's
/// train.py writes it.
constexpr const char* kSegmentationConfig = R"({"shape": [1, 1, 256, 256]})";

}  // namespace

std::string demo_segmentation_config() { return kSegmentationConfig; }

std::string demo_model_name(DemoModel which) {
  switch (which) {
    case DemoModel::Detector: return "detector";
    case DemoModel::Encoder: return "encoder";
    case DemoModel::Decoder: return "decoder";
    case DemoModel::Segmentation: return "segmentation";
  }
  return "?";
}

std::string demo_model_file(DemoModel which) { return "demo_" + demo_model_name(which) + ".pt"; }

const std::vector<DemoModel>& demo_models() {
  static const std::vector<DemoModel> all{DemoModel::Detector, DemoModel::Encoder, DemoModel::Decoder,
                                          DemoModel::Segmentation};
  return all;
}

torch::jit::Module make_demo_model(DemoModel which) {
  const char* names[] = {"DemoBrightEchoDetector", "DemoIntensityEncoder", "DemoBoxThresholdDecoder",
                         "DemoBoneSurfaceSegmenter"};
  const char* sources[] = {kDetector, kEncoder, kDecoder, kSegmentation};
  const auto i = static_cast<std::size_t>(which);
  torch::jit::Module m(std::string("__torch__.igtbridge.") + names[i]);
  if (which == DemoModel::Encoder) {
    const torch::Tensor mean = torch::tensor({123.675, 116.28, 103.53}, torch::kFloat32);
    const torch::Tensor std = torch::tensor({58.395, 57.12, 57.375}, torch::kFloat32);
    m.register_buffer("weight", (std / (255.0 * 3.0 * 16.0)).reshape({1, 3, 1, 1}).expand({1, 3, 4, 4}).contiguous());
    m.register_buffer("bias", (mean.sum() / (255.0 * 3.0)).reshape({1}));
  }
  if (which == DemoModel::Segmentation) {
    // A Gaussian blur, sigma 1 row by 2.5 columns (speckle is elongated
    // sideways); and a column of ones over the rows 6..28 below the centre
    // (at the 256 input): the acoustic shadow under a reflector.
    const torch::Tensor yy = torch::arange(-2, 3, torch::kFloat).reshape({5, 1});
    const torch::Tensor xx = torch::arange(-5, 6, torch::kFloat).reshape({1, 11});
    const torch::Tensor g = torch::exp(-(yy * yy) / 2.0 - (xx * xx) / (2.0 * 2.5 * 2.5));
    m.register_buffer("smooth", (g / g.sum()).reshape({1, 1, 5, 11}));
    torch::Tensor below = torch::zeros({1, 1, 65, 1});
    below.narrow(2, 32 + 6, 23).fill_(1.0);
    m.register_buffer("below", below);
  }
  m.define(sources[i]);
  m.eval();
  return m;
}

std::vector<std::string> save_demo_models(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> paths;
  for (DemoModel which : demo_models()) {
    const std::string path = (std::filesystem::path(dir) / demo_model_file(which)).string();
    torch::jit::ExtraFilesMap extra;
    if (which == DemoModel::Segmentation) extra["config.json"] = kSegmentationConfig;
    make_demo_model(which).save(path, extra);
    paths.push_back(path);
  }
  return paths;
}

}  // namespace igtb
