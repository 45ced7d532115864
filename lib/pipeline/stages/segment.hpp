// The segment stage's geometry (the modules themselves plug in with the
// model loading): boxes into the segmenter's 1024 frame, and MobileSAM-style
// mask logits back to input pixels as one label map. All on the device, no
// host synchronisation.
#pragma once

#include <torch/torch.h>

#include "pipeline/stages/preprocess.hpp"

namespace igtb {

/// [N, 4] x0, y0, x1, y1 in input pixels -> the same in the SAM frame.
torch::Tensor boxes_to_sam(const torch::Tensor& boxes_xyxy, const SamFrame& f);

/// mask_logits [N, 1, h, w] (SAM's low-resolution masks of the size x size
/// square, any floating type), ids uint8 [N] (0: an empty slot, ignored) ->
/// labels uint8 [H, W], written in place (e.g. the frame's packed result):
/// each pixel the largest id whose mask covers it, 0 where none does. A mask
/// covers a pixel where its logits, bilinear to size x size, cut to the
/// image part (f.height x f.width) and bilinear to H x W (SAM's
/// postprocess_masks), are above 0: computed per pixel from at most 4 x 4
/// logits (mask_taps.hpp), with no float or bool masks in between, on the
/// CPU or in one CUDA kernel (the same floats; PyTorch's two resizes agree
/// but for rounding, within 1e-4 of the threshold).
void labels_from_logits_into(const torch::Tensor& logits, const SamFrame& f, const torch::Tensor& ids,
                             torch::Tensor& labels, std::int64_t size = 1024);

}  // namespace igtb
