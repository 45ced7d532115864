// Bilinear resizing, the one way every stage resizes: PyTorch's
// `interpolate(mode=bilinear, align_corners=False)` (what D-FINE's and SAM's
// own preprocessing use), with one CPU work-around for Debian's LibTorch.
#pragma once

#include <torch/torch.h>

namespace igtb {

/// [N, C, H, W] -> [N, C, height, width], bilinear, align_corners false.
///
/// LibTorch before 2.0 sends a CPU tensor that is also "channels-last
/// contiguous" (every contiguous tensor with C = 1: a grey frame, a batch of
/// mask logits) to a kernel that vectorises over the channels: 4 to 8 times
/// slower than its generic one (measured on the 2-core VM with LibTorch 1.13:
/// 616x820 grey to 769x1024 3.9 ms against 0.5 ms; four 256x256 masks to
/// 1024x1024 11.9 ms against 2.6 ms; PyTorch 2.0 chose the generic kernel for
/// C <= 3 itself). There such an input is copied into a row-padded buffer
/// first, which the generic kernel takes; results equal up to float rounding.
torch::Tensor resize_bilinear(const torch::Tensor& x, std::int64_t height, std::int64_t width);

}  // namespace igtb
