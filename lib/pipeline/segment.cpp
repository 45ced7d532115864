#include "pipeline/segment.hpp"

namespace igtb {

torch::Tensor boxes_to_sam(const torch::Tensor& boxes_xyxy, const SamFrame& f) { return boxes_xyxy * f.scale; }

torch::Tensor masks_from_logits(const torch::Tensor& logits, const SamFrame& f, std::int64_t height,
                                std::int64_t width, std::int64_t size) {
  namespace F = torch::nn::functional;
  auto resize = [](const torch::Tensor& x, std::int64_t h, std::int64_t w) {
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<std::int64_t>{h, w})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  };
  if (logits.size(0) == 0) return torch::zeros({0, height, width}, logits.options().dtype(torch::kBool));
  torch::Tensor x = resize(logits.to(torch::kFloat32), size, size);
  x = x.slice(2, 0, f.height).slice(3, 0, f.width);
  x = resize(x, height, width);
  return x.squeeze(1) > 0;
}

torch::Tensor compose_labels(const torch::Tensor& masks, const torch::Tensor& ids, std::int64_t height,
                             std::int64_t width) {
  if (masks.size(0) == 0) return torch::zeros({height, width}, masks.options().dtype(torch::kUInt8));
  const auto labelled = masks.to(torch::kInt32) * ids.to(torch::kInt32).view({-1, 1, 1});
  return std::get<0>(labelled.max(0)).to(torch::kUInt8);
}

}  // namespace igtb
