#include "models/detector_model.hpp"

#include <filesystem>
#include <sstream>

namespace igtb {
namespace {

std::string shape(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

}  // namespace

DetectorModel load_detector(const std::string& path, const torch::Device& device, std::int64_t input_size) {
  if (!std::filesystem::is_regular_file(path)) throw ModelError(path + ": detector model file not found");
  DetectorModel m;
  m.input_size = input_size;
  try {
    m.module = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw ModelError(path + ": not a TorchScript module (" + std::string(e.what_without_backtrace()) + ")");
  }
  m.module.eval();
  torch::jit::IValue out;
  try {
    torch::NoGradGuard no_grad;
    out = m.module.forward({torch::zeros({1, 3, input_size, input_size}, torch::TensorOptions().device(device))});
  } catch (const c10::Error& e) {
    throw ModelError(path + ": forward(images[1, 3, " + std::to_string(input_size) + ", " + std::to_string(input_size) +
                     "]) failed: " + e.what_without_backtrace());
  }
  const std::string want = "must return (logits[1, Q, C], boxes[1, Q, 4])";
  if (!out.isTuple() || out.toTuple()->elements().size() != 2 || !out.toTuple()->elements()[0].isTensor() ||
      !out.toTuple()->elements()[1].isTensor())
    throw ModelError(path + ": forward " + want + ", got " + out.tagKind());
  const auto logits = out.toTuple()->elements()[0].toTensor();
  const auto boxes = out.toTuple()->elements()[1].toTensor();
  if (logits.dim() != 3 || boxes.dim() != 3 || logits.size(0) != 1 || boxes.size(0) != 1 || boxes.size(2) != 4 ||
      logits.size(1) != boxes.size(1) || logits.size(1) == 0 || logits.size(2) == 0)
    throw ModelError(path + ": forward " + want + ", got logits" + shape(logits) + " and boxes" + shape(boxes));
  m.queries = logits.size(1);
  m.classes = logits.size(2);
  return m;
}

}  // namespace igtb
