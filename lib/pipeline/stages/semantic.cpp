#include "pipeline/stages/semantic.hpp"

#include <stdexcept>

#include "pipeline/stages/preprocess.hpp"
#include "pipeline/stages/resize.hpp"

namespace igtb {

Normalization parse_normalization(const std::string& name) {
  if (name == "none") return Normalization::None;
  if (name == "unit") return Normalization::Unit;
  if (name == "standardize") return Normalization::Standardize;
  throw std::invalid_argument("normalization must be none, unit or standardize, got \"" + name + "\"");
}

const char* normalization_name(Normalization n) {
  switch (n) {
    case Normalization::None: return "none";
    case Normalization::Unit: return "unit";
    case Normalization::Standardize: return "standardize";
  }
  return "?";
}

ScoreKind parse_score_kind(const std::string& name) {
  if (name == "logits") return ScoreKind::Logits;
  if (name == "probabilities") return ScoreKind::Probabilities;
  throw std::invalid_argument("model output must be logits or probabilities, got \"" + name + "\"");
}

Decision parse_decision(const std::string& name) {
  if (name == "argmax") return Decision::Argmax;
  if (name == "threshold") return Decision::Threshold;
  throw std::invalid_argument("decision must be argmax or threshold, got \"" + name + "\"");
}

torch::Tensor semantic_input(const torch::Tensor& hwc, std::int64_t size, std::int64_t channels, Normalization norm) {
  if (hwc.dim() != 3 && hwc.dim() != 4) throw std::invalid_argument("semantic_input expects [H, W, C] or [D, H, W, C]");
  if (size < 1 || channels < 1) throw std::invalid_argument("semantic_input: size and channels must be positive");
  const torch::Tensor dhwc = hwc.dim() == 3 ? hwc.unsqueeze(0) : hwc;
  const auto c = dhwc.size(3);
  if (c != 1 && c != 3 && c != 4) throw std::invalid_argument("semantic_input expects 1, 3 or 4 components");
  const torch::Tensor colours = dhwc.slice(3, 0, c == 4 ? 3 : c);  // alpha dropped
  torch::Tensor x = (norm == Normalization::Unit ? to_unit_range(colours) : colours.to(torch::kFloat32))
                        .permute({0, 3, 1, 2});  // [D, C', H, W]
  if (!(x.size(1) == 3 && channels == 3) && x.size(1) != 1) x = x.mean(1, /*keepdim=*/true);
  if (norm == Normalization::Standardize) {
    // One mean and deviation over each slice (every channel), as MONAI's
    // NormalizeIntensity with channel_wise off; a flat slice stays zero.
    const torch::Tensor mean = x.mean({1, 2, 3}, /*keepdim=*/true);
    const torch::Tensor std = (x - mean).pow(2).mean({1, 2, 3}, true).sqrt().clamp_min(1e-8);
    x = (x - mean) / std;
  }
  x = resize_bilinear(x.contiguous(), size, size);
  const auto d = x.size(0);
  return x.size(1) == channels ? x : x.expand({d, channels, size, size}).contiguous();
}

torch::Tensor semantic_maps(const torch::Tensor& scores, std::int64_t height, std::int64_t width,
                            const SemanticMapsOptions& o) {
  if (scores.dim() != 4 || scores.size(0) < 1 || scores.size(1) < 1)
    throw std::invalid_argument("semantic_maps expects scores [D, K, S, S]");
  const torch::Tensor s = scores.to(torch::kFloat32);
  const bool binary = s.size(1) == 1;
  torch::Tensor p = o.scores == ScoreKind::Probabilities ? s : binary ? torch::sigmoid(s) : torch::softmax(s, 1);
  p = resize_bilinear(p.contiguous(), height, width);  // [D, K, H, W]
  torch::Tensor out =
      torch::empty({2, s.size(0), height, width}, torch::dtype(torch::kUInt8).device(scores.device()));
  const torch::Tensor p0 = p.select(1, 0);
  const torch::Tensor fg = binary ? p0 : 1.0 - p0;
  if (binary) {
    out[0].copy_(fg >= o.threshold);
  } else if (o.decision == Decision::Argmax) {
    out[0].copy_(p.argmax(1));
  } else {
    const torch::Tensor best = p.slice(1, 1).argmax(1) + 1;
    out[0].copy_(torch::where(fg >= o.threshold, best, torch::zeros_like(best)));
  }
  out[1].copy_((fg.clamp(0.0, 1.0) * 255.0).round());
  return out;
}

}  // namespace igtb
