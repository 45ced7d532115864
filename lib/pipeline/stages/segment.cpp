#include "pipeline/stages/segment.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "pipeline/stages/mask_taps.hpp"
#include "pipeline/stages/segment_cuda.hpp"

#ifdef IGTB_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace igtb {

torch::Tensor boxes_to_sam(const torch::Tensor& boxes_xyxy, const SamFrame& f) { return boxes_xyxy * f.scale; }

namespace {

std::vector<masks::Taps> axis_taps(int out, int part, int square, int side) {
  std::vector<masks::Taps> t(static_cast<std::size_t>(out));
  for (int i = 0; i < out; ++i) t[std::size_t(i)] = masks::taps(i, out, part, square, side);
  return t;
}

// The host's way through the same arithmetic as masks::pixel_label: for each
// mask, the logit rows the output reaches are mixed once per output column,
// then each output row combines four of those, column after column. One
// thread: ATen's parallel_for would need this file built with OpenMP (a
// second OpenMP runtime beside the one LibTorch ships with, on the GPU
// machine), and one thread already takes half the time of the two resizes
// and the composition it replaces on two (2-core VM, 4 masks: 2.0 against
// 5.4 ms).
void labels_on_host(const masks::Geometry& g, const float* logits, const std::uint8_t* ids, std::uint8_t* labels) {
  const auto ty = axis_taps(g.height, g.part_h, g.square, g.side_h);
  const auto tx = axis_taps(g.width, g.part_w, g.square, g.side_w);
  const std::size_t plane = std::size_t(g.side_h) * std::size_t(g.side_w), width = std::size_t(g.width);
  int lo = g.side_h, hi = -1;
  for (const auto& t : ty)
    for (int i = 0; i < 4; ++i) lo = std::min(lo, t.index[i]), hi = std::max(hi, t.index[i]);
  std::vector<float> mixed(std::size_t(hi - lo + 1) * width), v(width);
  std::fill(labels, labels + std::size_t(g.height) * width, std::uint8_t{0});
  for (int k = 0; k < g.n; ++k) {
    const std::uint8_t id = ids[k];
    if (id == 0) continue;
    const float* m = logits + std::size_t(k) * plane;
    for (int q = lo; q <= hi; ++q) {
      const float* row = m + std::size_t(q) * std::size_t(g.side_w);
      float* out = mixed.data() + std::size_t(q - lo) * width;
      for (std::size_t x = 0; x < width; ++x) out[x] = masks::mix_row(row, tx[x]);
    }
    for (std::size_t y = 0; y < std::size_t(g.height); ++y) {  // a row of values, then its threshold: two loops that vectorise
      const masks::Taps& t = ty[y];
      const float* r[4];
      for (int i = 0; i < 4; ++i) r[i] = mixed.data() + std::size_t(t.index[i] - lo) * width;
      for (std::size_t x = 0; x < width; ++x) v[x] = masks::mix_rows(t, r[0][x], r[1][x], r[2][x], r[3][x]);
      std::uint8_t* out = labels + y * width;
      for (std::size_t x = 0; x < width; ++x) out[x] = v[x] > 0.0f && id > out[x] ? id : out[x];
    }
  }
}

}  // namespace

void labels_from_logits_into(const torch::Tensor& logits, const SamFrame& f, const torch::Tensor& ids,
                             torch::Tensor& labels, std::int64_t size) {
  if (logits.dim() != 4 || logits.size(1) != 1 || ids.dim() != 1 || ids.numel() != logits.size(0) ||
      ids.scalar_type() != torch::kUInt8 || labels.dim() != 2 || labels.scalar_type() != torch::kUInt8 ||
      !labels.is_contiguous() || logits.device() != labels.device() || ids.device() != labels.device())
    throw std::invalid_argument(
        "labels_from_logits_into: logits [N, 1, h, w], uint8 ids [N] and contiguous uint8 labels [H, W] on one device "
        "expected");
  if (!torch::isFloatingType(logits.scalar_type()) || logits.size(2) == 0 || logits.size(3) == 0)
    throw std::invalid_argument("labels_from_logits_into: floating-point logits of at least 1 x 1 expected");
  if (f.height <= 0 || f.width <= 0 || f.height > size || f.width > size)
    throw std::invalid_argument("labels_from_logits_into: the image part must lie inside the square");
  masks::Geometry g;
  g.n = int(logits.size(0));
  g.side_h = int(logits.size(2));
  g.side_w = int(logits.size(3));
  g.square = int(size);
  g.part_h = int(f.height);
  g.part_w = int(f.width);
  g.height = int(labels.size(0));
  g.width = int(labels.size(1));
  if (g.n == 0 || g.height == 0 || g.width == 0) {
    labels.zero_();
    return;
  }
  if (labels.device().is_cpu()) {
    const torch::Tensor l = logits.to(torch::kFloat32).contiguous();
    const torch::Tensor i = ids.contiguous();
    labels_on_host(g, l.data_ptr<float>(), i.data_ptr<std::uint8_t>(), labels.data_ptr<std::uint8_t>());
    return;
  }
#ifdef IGTB_WITH_CUDA
  const bool half = logits.scalar_type() == torch::kHalf;
  const torch::Tensor l = (half ? logits : logits.to(torch::kFloat32)).contiguous();
  const torch::Tensor i = ids.contiguous();
  const c10::cuda::CUDAGuard on(labels.device());
  masks::launch_labels(g, l.data_ptr(), half, i.data_ptr<std::uint8_t>(), labels.data_ptr<std::uint8_t>(),
                       static_cast<void*>(c10::cuda::getCurrentCUDAStream(labels.device().index()).stream()));
#else
  throw std::invalid_argument("labels_from_logits_into: this build has no CUDA kernels");
#endif
}

}  // namespace igtb
