#include "models/module_loader.hpp"

#include <torch/cuda.h>
#include <torch/version.h>

#include <filesystem>
#include <optional>
#include <sstream>

// AOTInductor packages: LibTorch 2.x ships the loader (the Debian 1.13 build does not).
#if __has_include(<torch/csrc/inductor/aoti_package/model_package_loader.h>)
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#define IGTB_HAVE_AOTI 1
#ifdef IGTB_WITH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif
#endif

namespace igtb {

void to_floating_dtype(torch::jit::Module& module, torch::ScalarType dtype) {
  // Not module.to(dtype): LibTorch's jit::Module::to converts every parameter
  // and buffer, integer ones too (an int64 buffer of 2^30-scaled values became
  // fp16 inf, and MobileSAM's decoder gave empty masks). PyTorch's Module.to,
  // which the exports and the reference use, converts floating-point ones only.
  torch::NoGradGuard no_grad;
  for (auto t : module.parameters(/*recurse=*/true))
    if (t.is_floating_point()) t.set_data(t.to(dtype));
  for (auto t : module.buffers(/*recurse=*/true))
    if (t.is_floating_point()) t.set_data(t.to(dtype));
}

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

std::pair<torch::Tensor, torch::Tensor> tensor_pair(const std::vector<torch::Tensor>& out, const std::string& spec,
                                                    const std::string& want) {
  if (out.size() != 2)
    throw ModelError(spec + ": forward " + want + ", got " + std::to_string(out.size()) + " output tensor(s)");
  return {out[0], out[1]};
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

#ifdef IGTB_HAVE_AOTI
struct Model::Aoti {
  std::unique_ptr<torch::inductor::AOTIModelPackageLoader> loader;
};
bool Model::aoti_available() { return true; }
#else
struct Model::Aoti {};
bool Model::aoti_available() { return false; }
#endif

bool Model::is_aoti_spec(const std::string& spec) {
  return spec.size() > 4 && spec.compare(spec.size() - 4, 4, ".pt2") == 0;
}

std::vector<torch::Tensor> Model::forward(const std::vector<torch::Tensor>& inputs) const {
  if (aoti_) {
#ifdef IGTB_HAVE_AOTI
    void* stream = nullptr;  // the current stream of the model's device (a pipeline's own, or a capture's)
#ifdef IGTB_WITH_CUDA
    if (device_.is_cuda()) stream = c10::cuda::getCurrentCUDAStream(device_.index()).stream();
#endif
    // A package is compiled for its example inputs' strides (contiguous in
    // scripts/export_aoti.py) and does not check them unless
    // AOTI_RUNTIME_CHECK_INPUTS=1: another layout (an embedding straight from
    // another package) would be read wrongly. contiguous() is free where it is.
    std::vector<torch::Tensor> dense;
    dense.reserve(inputs.size());
    for (const auto& t : inputs) dense.push_back(t.contiguous());
    return aoti_->loader->run(dense, stream);
#endif
  }
  const torch::jit::IValue out = script_->forward(std::vector<torch::jit::IValue>(inputs.begin(), inputs.end()));
  if (out.isTensor()) return {out.toTensor()};
  std::vector<torch::Tensor> tensors;
  if (out.isTuple()) {
    for (const auto& e : out.toTuple()->elements()) {
      if (!e.isTensor()) throw ModelError(spec_ + ": forward returned a tuple holding " + e.tagKind());
      tensors.push_back(e.toTensor());
    }
    return tensors;
  }
  throw ModelError(spec_ + ": forward returned " + out.tagKind() + ", not tensors");
}

namespace {

#ifdef IGTB_HAVE_AOTI
std::unique_ptr<torch::inductor::AOTIModelPackageLoader> load_package(const std::string& spec,
                                                                       const torch::Device& device) {
  try {
    // Single-threaded runner: each pipeline runs its models from one thread, and the
    // thread-safe runner's per-run events would be syncs inside a CUDA-graph capture.
    return std::make_unique<torch::inductor::AOTIModelPackageLoader>(
        spec, "model", /*run_single_threaded=*/true, /*num_runners=*/1,
        device.is_cuda() ? device.index() : c10::DeviceIndex(-1));
  } catch (const std::exception& e) {
    throw ModelError(spec + ": not an AOTInductor package for " + device.str() + " (" + short_error(e) + ")");
  }
}
#endif

}  // namespace

Model load_module(const std::string& spec, DemoModel demo, const torch::Device& device, torch::ScalarType dtype) {
  if (spec != kDemoModelSpec) return load_model_file(spec, demo_model_name(demo), device, dtype);
  Model m;
  m.spec_ = spec;
  m.device_ = device;
  std::stringstream bytes;
  make_demo_model(demo).save(bytes);
  m.script_ = std::make_shared<torch::jit::Module>(torch::jit::load(bytes, device));
  if (dtype != torch::kFloat32) to_floating_dtype(*m.script_, dtype);
  m.script_->eval();
  return m;
}

Model load_model_file(const std::string& spec, const std::string& role, const torch::Device& device,
                      torch::ScalarType dtype) {
  Model m;
  m.spec_ = spec;
  m.device_ = device;
  std::error_code ec;
  // Where it looked, in full: a relative path from --set resolves against
  // the working directory, which a service's is not the user's.
  const auto where = std::filesystem::absolute(spec, ec);
  const std::string looked = (ec || where.string() == spec) ? "" : " (looked for " + where.string() + ")";
  if (!std::filesystem::exists(spec, ec)) throw ModelError(spec + ": " + role + " model file not found" + looked);
  if (!std::filesystem::is_regular_file(spec, ec))
    throw ModelError(spec + ": " + role + " model is not a regular file" + looked);
  if (Model::is_aoti_spec(spec)) {
#ifdef IGTB_HAVE_AOTI
    m.aoti_ = std::make_shared<Model::Aoti>();
    m.aoti_->loader = load_package(spec, device);
    return m;  // compiled for one precision: the probe run checks it against the configured one
#else
    throw ModelError(spec + ": an AOTInductor package (.pt2), but this LibTorch (" + std::string(TORCH_VERSION) +
                     ") cannot load them: use the TorchScript export (.pt)");
#endif
  }
  try {
    m.script_ = std::make_shared<torch::jit::Module>(torch::jit::load(spec, device));
  } catch (const std::exception& e) {
    throw ModelError(spec + ": not a TorchScript module (" + short_error(e) + ")");
  }
  if (dtype != torch::kFloat32) {  // the first floating weight tells the file's precision
    std::optional<torch::ScalarType> saved;
    for (const auto& p : m.script_->parameters())
      if (!saved && p.is_floating_point()) saved = p.scalar_type();
    for (const auto& b : m.script_->buffers())
      if (!saved && b.is_floating_point()) saved = b.scalar_type();
    m.converted_ = saved == torch::kFloat32;
    to_floating_dtype(*m.script_, dtype);
  }
  m.script_->eval();
  return m;
}

}  // namespace igtb
