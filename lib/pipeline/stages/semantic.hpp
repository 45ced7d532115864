// The segment shape's device stages (pipeline.kind: segment): a semantic
// segmentation network (SlicerIGT/aigt's kind: a U-Net, a MONAI SegResNet)
// takes the frame resized to its square, returns per-class scores, and these
// become a class map and a foreground probability map at the input's size.
// All on the device with fixed shapes (capturable in a CUDA graph).
#pragma once

#include <torch/torch.h>

#include <string>

namespace igtb {

/// How the frame's values are scaled before the network.
enum class Normalization {
  None,         ///< the pixel values as they are (aigt's realtime script: 0..255 for uint8)
  Unit,         ///< 0..1 by the scalar type's range (to_unit_image)
  Standardize,  ///< per frame: zero mean, unit variance (MONAI's NormalizeIntensity)
};
/// "none" | "unit" | "standardize"; throws std::invalid_argument otherwise.
Normalization parse_normalization(const std::string& name);
const char* normalization_name(Normalization n);

/// What the network returns.
enum class ScoreKind {
  Logits,         ///< raw scores: softmax over classes (sigmoid for one channel)
  Probabilities,  ///< already probabilities
};
/// "logits" | "probabilities"; throws std::invalid_argument otherwise.
ScoreKind parse_score_kind(const std::string& name);

/// How a pixel gets its class.
enum class Decision {
  Argmax,     ///< the most probable class, background included
  Threshold,  ///< foreground where 1 - p(background) >= threshold, then its most probable foreground class
};
/// "argmax" | "threshold"; throws std::invalid_argument otherwise.
Decision parse_decision(const std::string& name);

/// The uploaded frame [H, W, C'] or volume [D, H, W, C'] (any supported
/// scalar type) -> the network's input [D, channels, size, size] float (D =
/// 1 for a frame), each slice normalised on its own, then resized
/// bilinearly to the square (aspect not kept, as aigt trains). A frame of
/// 3 or 4 components with channels == 3 keeps its colours; otherwise the
/// grey value (the mean of the colours) fills every channel.
torch::Tensor semantic_input(const torch::Tensor& hwc, std::int64_t size, std::int64_t channels, Normalization norm);

struct SemanticMapsOptions {
  ScoreKind scores = ScoreKind::Logits;
  Decision decision = Decision::Argmax;  ///< one channel (binary): always the threshold
  double threshold = 0.5;                ///< on the foreground probability
};

/// The network's output [D, K, S, S] (D slices) -> bytes [2, D, height,
/// width] uint8: plane 0 the class maps (0 background, 1..K-1 the classes;
/// 1 for a binary model's foreground), plane 1 the foreground probability
/// (1 - p(background), or the one channel's probability) times 255, rounded.
/// The probabilities are resized bilinearly to the input's size before the
/// decision, as aigt resizes its prediction back.
torch::Tensor semantic_maps(const torch::Tensor& scores, std::int64_t height, std::int64_t width,
                            const SemanticMapsOptions& options);

}  // namespace igtb
