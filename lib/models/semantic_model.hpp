// A semantic segmentation model, the kind SlicerIGT/aigt's
// UltrasoundSegmentation trains and exports (a U-Net, a MONAI SegResNet or
// UNETR): image[1, C, S, S] -> logits or probabilities [1, K, S, S], K the
// classes with background (K = 1: one foreground, a binary model).
//
// Its settings come from the model file where it carries them: aigt's
// train.py saves TorchScript with an extra file "config.json" holding
// {"shape": [1, C, S, S], ...}. A model without it (a plain TorchScript
// file, aigt's older exports) takes them from the YAML (SemanticSettings).
// What neither says is one ModelError naming the file and the missing key.
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/module_loader.hpp"

namespace igtb {

/// What the YAML says about a semantic model; 0 or empty: the model's
/// config.json says it (and where it says it too, the two must agree).
struct SemanticSettings {
  std::int64_t input_size = 0;   ///< S: the square the frame is resized to
  std::int64_t in_channels = 0;  ///< C: the frame's grey value repeated C times
  std::vector<std::string> class_names;  ///< of classes 1..K-1 (empty: config.json's, else none)
};

/// The settings a model file carries in its config.json; 0 where it says nothing.
struct EmbeddedSettings {
  bool present = false;  ///< the file has an extra file "config.json"
  std::int64_t input_size = 0, in_channels = 0;
  /// "class_names": [...] (igtbridge's addition to aigt's keys): classes 1..K-1.
  std::vector<std::string> class_names;
  /// aigt's "use_tracking_layer" (or older "use_tracking"): the model takes
  /// (image, transforms), which the bridge does not feed.
  bool tracking_layer = false;
};

/// Reads "config.json" of the TorchScript archive at `path` without loading
/// the model: aigt's {"shape": [1, C, S, S]} (the keys it does not know are
/// ignored). `present` false where the archive has no such file. Throws
/// ModelError naming the file and the key for a config.json it cannot read.
EmbeddedSettings read_embedded_settings(const std::string& path);

/// The same from config.json's text; `path` names the file in errors.
EmbeddedSettings parse_embedded_settings(const std::string& json, const std::string& path);

struct SemanticModel {
  Model module;
  std::string spec;
  std::int64_t input_size = 0;   ///< S
  std::int64_t in_channels = 1;  ///< C
  std::int64_t classes = 0;      ///< K, from the probe
  std::vector<std::string> class_names;  ///< of classes 1..K-1 (K = 1: of the one foreground); may be empty
  std::string settings_from;     ///< "config.json", "the YAML" or "config.json and the YAML"

  /// image [1, C, S, S] in the model's dtype -> [1, K, S, S] (the first
  /// output where the model returns several, as UNet++ does).
  torch::Tensor run(const torch::Tensor& image) const;
};

/// Loads the model (TorchScript; `spec` a path), settles S and C from its
/// config.json and `yaml`, and probes it with a zero image: its output must
/// be [1, K, S, S]. Throws ModelError naming the file and what is wrong.
SemanticModel load_semantic_model(const std::string& spec, const torch::Device& device, torch::ScalarType dtype,
                                  const SemanticSettings& yaml);

}  // namespace igtb
