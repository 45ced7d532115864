// Loading a detector with the D-FINE contract and checking it before any
// socket opens: TorchScript or AOTInductor, forward(images[1, 3, S, S] float) ->
// (logits[1, Q, C], boxes[1, Q, 4]). A wrong file gets one clear error.
#pragma once

#include <torch/script.h>

#include <string>

#include "models/module_loader.hpp"

namespace igtb {

struct DetectorModel {
  Model module;
  std::string spec;  ///< path or "demo", for messages
  std::int64_t input_size = 640;
  std::int64_t queries = 0;
  std::int64_t classes = 0;
  torch::ScalarType dtype = torch::kFloat32;

  /// images [1, 3, S, S] in `dtype` -> (logits [1, Q, C], boxes [1, Q, 4]).
  std::pair<torch::Tensor, torch::Tensor> run(const torch::Tensor& images);
};

/// Loads `spec` (a path or "demo") onto `device` in `dtype`, runs one probe
/// input of zeros and checks the outputs. Throws ModelError.
DetectorModel load_detector(const std::string& spec, const torch::Device& device, std::int64_t input_size = 640,
                            torch::ScalarType dtype = torch::kFloat32);

}  // namespace igtb
