#include "pipeline/stages/detect.hpp"

#include <stdexcept>

namespace igtb {

DetectionSet postprocess_detections(const torch::Tensor& logits, const torch::Tensor& boxes, const DetectConfig& c) {
  if (logits.dim() != 3 || boxes.dim() != 3 || boxes.size(2) != 4 || logits.size(1) != boxes.size(1))
    throw std::invalid_argument("detector outputs must be logits [B, Q, C] and boxes [B, Q, 4]");
  if (logits.size(0) < 1 || logits.size(1) < 1 || logits.size(2) < 1)
    throw std::invalid_argument("detector outputs must hold at least one image, query and class");
  const auto classes = logits.size(2);
  const auto scores_all = torch::sigmoid(logits[0].to(torch::kFloat32)).flatten();  // [Q * C]
  const auto k = std::min<std::int64_t>(c.top_k, scores_all.numel());
  auto [scores, index] = scores_all.topk(k);
  DetectionSet d;
  d.scores = scores;
  d.classes = index.remainder(classes);
  const auto query = index.div(classes, "floor");
  d.boxes_norm = boxes[0].index_select(0, query).to(torch::kFloat32);
  d.valid = scores >= c.score_threshold;
  return d;
}

}  // namespace igtb
