// The reference the segment stage's label map is held against: SAM's
// postprocess_masks as its authors wrote it (bilinear to the whole 1024
// square, cut to the image part, bilinear to the frame), in LibTorch ops,
// and the masks composed by the largest id in the widest type.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "pipeline/stages/preprocess.hpp"

namespace igtb::test {

/// logits [N, 1, h, w] -> float [N, height, width], before the threshold.
inline torch::Tensor sam_mask_values(const torch::Tensor& logits, const SamFrame& f, std::int64_t height,
                                     std::int64_t width, std::int64_t size = 1024) {
  namespace F = torch::nn::functional;
  const auto up = [](const torch::Tensor& x, std::int64_t h, std::int64_t w) {
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<std::int64_t>{h, w})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  };
  const auto x = logits.to(torch::kFloat32);
  return up(up(x, size, size).slice(2, 0, f.height).slice(3, 0, f.width), height, width).squeeze(1);
}

/// masks bool [N, H, W], ids uint8 [N] -> uint8 [H, W]: the largest id covering each pixel, else 0.
inline torch::Tensor compose(const torch::Tensor& masks, const torch::Tensor& ids) {
  if (masks.size(0) == 0) return torch::zeros({masks.size(1), masks.size(2)}, masks.options().dtype(torch::kUInt8));
  const auto wide = masks.to(torch::kInt64) * ids.to(torch::kInt64).view({-1, 1, 1});
  return std::get<0>(wide.max(0)).to(torch::kUInt8);
}

}  // namespace igtb::test
