#include "models/detector_model.hpp"

namespace igtb {
namespace {

const std::string kDetectorOutputs = "must return (logits[1, Q, C], boxes[1, Q, 4])";


}  // namespace

std::pair<torch::Tensor, torch::Tensor> DetectorModel::run(const torch::Tensor& images) {
  return tensor_pair(module.forward({images}), spec, kDetectorOutputs);
}

DetectorModel load_detector(const std::string& spec, const torch::Device& device, std::int64_t input_size,
                            torch::ScalarType dtype) {
  DetectorModel m;
  m.spec = spec;
  m.input_size = input_size;
  m.dtype = dtype;
  m.module = load_module(spec, DemoModel::Detector, device, dtype);
  std::vector<torch::Tensor> out;
  try {
    torch::NoGradGuard no_grad;
    out = m.module.forward({torch::zeros({1, 3, input_size, input_size}, torch::dtype(dtype).device(device))});
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(spec + ": forward(images[1, 3, " + std::to_string(input_size) + ", " + std::to_string(input_size) +
                     "]) failed: " + short_error(e));
  }
  const auto [logits, boxes] = tensor_pair(out, spec, kDetectorOutputs);
  if (logits.dim() != 3 || boxes.dim() != 3 || logits.size(0) != 1 || boxes.size(0) != 1 || boxes.size(2) != 4 ||
      logits.size(1) != boxes.size(1) || logits.size(1) == 0 || logits.size(2) == 0)
    throw ModelError(spec + ": forward " + kDetectorOutputs + ", got logits" + shape_of(logits) + " and boxes" + shape_of(boxes));
  m.queries = logits.size(1);
  m.classes = logits.size(2);
  return m;
}

}  // namespace igtb
