// Loading a detector with the D-FINE contract and checking it before any
// socket opens: TorchScript, forward(images[1, 3, S, S] float) ->
// (logits[1, Q, C], boxes[1, Q, 4]). A wrong file gets one clear error.
#pragma once

#include <torch/script.h>

#include <stdexcept>
#include <string>

namespace igtb {

/// A model file that cannot serve: what() names the file and what is wrong.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DetectorModel {
  torch::jit::Module module;
  std::int64_t input_size = 640;
  std::int64_t queries = 0;
  std::int64_t classes = 0;
};

/// Loads onto `device`, runs one probe input of zeros and checks the outputs.
DetectorModel load_detector(const std::string& path, const torch::Device& device, std::int64_t input_size = 640);

}  // namespace igtb
