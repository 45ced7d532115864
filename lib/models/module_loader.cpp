#include "models/module_loader.hpp"

#include <torch/cuda.h>

#include <filesystem>
#include <optional>
#include <sstream>

namespace igtb {

torch::ScalarType precision_dtype(const std::string& p) {
  if (p == "fp32") return torch::kFloat32;
  if (p == "fp16") return torch::kFloat16;
  if (p == "bf16") return torch::kBFloat16;
  throw std::invalid_argument("precision '" + p + "' is not fp32, fp16 or bf16");
}

torch::Device model_device(const std::string& name) {
  std::optional<torch::Device> d;
  try {
    d = torch::Device(name);
  } catch (const c10::Error&) {
    throw ModelError("device '" + name + "' is not cpu, cuda or cuda:N");
  }
  if (d->is_cuda()) {
    if (!torch::cuda::is_available())
      throw ModelError("device '" + name + "': this LibTorch build or machine has no CUDA device");
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (d->has_index() && d->index() >= count)
      throw ModelError("device '" + name + "': only " + std::to_string(count) + " CUDA device(s)");
    if (!d->has_index()) d = torch::Device(torch::kCUDA, 0);
  } else if (!d->is_cpu()) {
    throw ModelError("device '" + name + "' is not cpu, cuda or cuda:N");
  }
  return *d;
}

std::string short_error(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10 ? c10->what_without_backtrace() : e.what();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const auto nl = text.rfind('\n');
  if (nl != std::string::npos) text = text.substr(nl + 1);
  const auto start = text.find_first_not_of(' ');
  return start == std::string::npos ? text : text.substr(start);
}

std::pair<torch::Tensor, torch::Tensor> tensor_pair(const torch::jit::IValue& out, const std::string& spec,
                                                    const std::string& want) {
  if (!out.isTuple() || out.toTuple()->elements().size() != 2 || !out.toTuple()->elements()[0].isTensor() ||
      !out.toTuple()->elements()[1].isTensor())
    throw ModelError(spec + ": forward " + want + ", got " + out.tagKind());
  return {out.toTuple()->elements()[0].toTensor(), out.toTuple()->elements()[1].toTensor()};
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

torch::jit::Module load_module(const std::string& spec, DemoModel demo, const torch::Device& device,
                               torch::ScalarType dtype) {
  torch::jit::Module m;
  if (spec == kDemoModelSpec) {
    std::stringstream bytes;
    make_demo_model(demo).save(bytes);
    m = torch::jit::load(bytes, device);
  } else {
    std::error_code ec;
    if (!std::filesystem::exists(spec, ec))
      throw ModelError(spec + ": " + demo_model_name(demo) + " model file not found");
    if (!std::filesystem::is_regular_file(spec, ec))
      throw ModelError(spec + ": " + demo_model_name(demo) + " model is not a regular file");
    try {
      m = torch::jit::load(spec, device);
    } catch (const std::exception& e) {
      throw ModelError(spec + ": not a TorchScript module (" + short_error(e) + ")");
    }
  }
  if (dtype != torch::kFloat32) m.to(dtype);
  m.eval();
  return m;
}

}  // namespace igtb
