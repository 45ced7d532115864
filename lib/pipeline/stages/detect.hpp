// The detect stage's post-processing for the D-FINE contract
// (logits [B, Q, C], boxes [B, Q, 4] as normalised cx, cy, w, h), on the
// device and with fixed shapes (a `valid` mask instead of a filtered list)
// so the fast path can capture it in a CUDA graph.
#pragma once

#include <torch/torch.h>

namespace igtb {

struct DetectConfig {
  std::int64_t top_k = 10;       ///< candidates kept over Q * C (at most Q * C)
  double score_threshold = 0.5;  ///< a candidate below this is not valid
};

struct DetectionSet {
  torch::Tensor scores;      ///< [K] float, sigmoid of the logit, descending
  torch::Tensor classes;     ///< [K] int64
  torch::Tensor boxes_norm;  ///< [K, 4] cx, cy, w, h normalised (the tracker's input; it scales them itself)
  torch::Tensor valid;       ///< [K] bool: score >= threshold
};

/// Image 0 of the batch: sigmoid, top-k over queries x classes, their boxes.
/// Nothing more: every op here is a kernel on the frame's critical path.
DetectionSet postprocess_detections(const torch::Tensor& logits, const torch::Tensor& boxes, const DetectConfig& c);

}  // namespace igtb
