// The segment stage's geometry (the modules themselves plug in with the
// model loading): boxes into the segmenter's 1024 frame, MobileSAM-style mask
// logits back to input pixels, and the masks composed into one label map.
// All on the device, no host synchronisation.
#pragma once

#include <torch/torch.h>

#include "pipeline/stages/preprocess.hpp"

namespace igtb {

/// [N, 4] x0, y0, x1, y1 in input pixels -> the same in the SAM frame.
torch::Tensor boxes_to_sam(const torch::Tensor& boxes_xyxy, const SamFrame& f);

/// mask_logits [N, 1, 256, 256] -> bool [N, H, W]: bilinear to size x size,
/// crop the image part (f.height x f.width), bilinear to H x W, logit > 0.
torch::Tensor masks_from_logits(const torch::Tensor& logits, const SamFrame& f, std::int64_t height,
                                std::int64_t width, std::int64_t size = 1024);

/// masks bool [N, H, W], ids uint8 [N] (1..255; a wider type is cast to
/// uint8 first) -> labels uint8 [H, W]; where masks overlap the larger id
/// wins (deterministic, no ordering on the host).
torch::Tensor compose_labels(const torch::Tensor& masks, const torch::Tensor& ids, std::int64_t height,
                             std::int64_t width);

/// The same into `labels` (uint8 [H, W], e.g. the frame's packed result):
/// two kernels (mask x id in uint8, the maximum over N written in place).
void compose_labels_into(const torch::Tensor& masks, const torch::Tensor& ids, torch::Tensor& labels);

}  // namespace igtb
