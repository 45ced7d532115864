#include "pipeline/stages/resize.hpp"

#include <torch/version.h>

#include <stdexcept>
#include <vector>

namespace igtb {

torch::Tensor resize_bilinear(const torch::Tensor& x, std::int64_t height, std::int64_t width) {
  namespace F = torch::nn::functional;
  if (x.dim() != 4) throw std::invalid_argument("resize_bilinear expects [N, C, H, W]");
  torch::Tensor in = x;
#if TORCH_VERSION_MAJOR < 2
  if (x.is_cpu() && x.size(1) <= 3 && x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    in = torch::empty({x.size(0), x.size(1), x.size(2), x.size(3) + 1}, x.options()).slice(3, 0, x.size(3));
    in.copy_(x);
  }
#endif
  return F::interpolate(in, F::InterpolateFuncOptions()
                                .size(std::vector<std::int64_t>{height, width})
                                .mode(torch::kBilinear)
                                .align_corners(false));
}

}  // namespace igtb
