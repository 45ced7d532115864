#include "pipeline/stages/segment.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "pipeline/stages/resize.hpp"

namespace igtb {

torch::Tensor boxes_to_sam(const torch::Tensor& boxes_xyxy, const SamFrame& f) { return boxes_xyxy * f.scale; }

namespace {

// The logits rows (or columns) the first upsampling needs for the `keep`
// output rows it keeps, and the output rows it then makes: where `size` is a
// multiple of `side` (SAM: 1024 = 4 x 256), an output row i reads source rows
// floor((i + 0.5) / f - 0.5) and the one after, so the first
// ceil(keep / f) + 1 source rows give the same first `keep` rows exactly
// (same scale 1 / f, no row clamped that was not clamped before).
std::pair<std::int64_t, std::int64_t> upsampled_part(std::int64_t side, std::int64_t size, std::int64_t keep) {
  if (side <= 0 || size % side != 0) return {side, size};
  const std::int64_t f = size / side;
  const std::int64_t rows = std::min(side, (keep + f - 1) / f + 1);
  return {rows, rows * f};
}

}  // namespace

torch::Tensor masks_from_logits(const torch::Tensor& logits, const SamFrame& f, std::int64_t height,
                                std::int64_t width, std::int64_t size) {
  if (logits.size(0) == 0) return torch::zeros({0, height, width}, logits.options().dtype(torch::kBool));
  // Only the image part of the padded square is upsampled: a landscape
  // 820x616 frame fills 1024x769 of it, so a quarter of the work is saved.
  const auto [rows, out_rows] = upsampled_part(logits.size(2), size, f.height);
  const auto [cols, out_cols] = upsampled_part(logits.size(3), size, f.width);
  torch::Tensor x = resize_bilinear(logits.slice(2, 0, rows).slice(3, 0, cols).to(torch::kFloat32), out_rows, out_cols);
  x = x.slice(2, 0, f.height).slice(3, 0, f.width);
  x = resize_bilinear(x, height, width);
  return x.squeeze(1) > 0;
}

torch::Tensor compose_labels(const torch::Tensor& masks, const torch::Tensor& ids, std::int64_t height,
                             std::int64_t width) {
  torch::Tensor labels = torch::empty({height, width}, masks.options().dtype(torch::kUInt8));
  compose_labels_into(masks, ids, labels);
  return labels;
}

void compose_labels_into(const torch::Tensor& masks, const torch::Tensor& ids, torch::Tensor& labels) {
  if (masks.dim() != 3 || ids.numel() != masks.size(0) || labels.scalar_type() != torch::kUInt8 ||
      labels.sizes() != masks.sizes().slice(1))
    throw std::invalid_argument("compose_labels: masks [N, H, W], ids [N] and uint8 labels [H, W] expected");
  if (masks.size(0) == 0) {
    labels.zero_();
    return;
  }
  // bool x uint8 is uint8 (ids are at most 255), so the maximum needs no wider type.
  const torch::Tensor labelled = masks * ids.to(torch::kUInt8).view({-1, 1, 1});
  at::amax_out(labels, labelled, {0});
}

}  // namespace igtb
