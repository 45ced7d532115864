// Loading a model from the config's spec: a file path, or "demo" for the
// built-in demo model of that role. One interface over two formats:
// - TorchScript (any other file name, and the demo models, loaded from
//   memory): torch::jit::load onto the configured device, then converted to
//   the configured precision. Every LibTorch, the Debian 1.13 CPU build too.
// - AOTInductor packages (file name ending in .pt2, written by
//   scripts/export_aoti.py): torch::inductor::AOTIModelPackageLoader, in
//   LibTorch 2.x builds that ship it (the GPU machine's); compiled for one
//   device and precision, which must be the configured ones.
// A file that cannot serve gets one ModelError naming the file and what is
// wrong.
#pragma once

#include <torch/script.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/demo_models.hpp"

namespace igtb {

/// A model that cannot serve: what() names the file and what is wrong.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "fp32" | "fp16" | "bf16" -> the dtype; throws std::invalid_argument otherwise.
torch::ScalarType precision_dtype(const std::string& precision);

/// "cpu", "cuda", "cuda:N" -> the device, checked to exist; throws ModelError.
torch::Device model_device(const std::string& device);

/// A loaded model of either format; copies share the loaded model.
class Model {
 public:
  /// Whether this build can load AOTInductor packages (.pt2).
  static bool aoti_available();
  /// Whether `spec` names an AOTInductor package (ends in ".pt2").
  static bool is_aoti_spec(const std::string& spec);

  /// Runs the model: its outputs as tensors (a tuple of tensors flattened,
  /// a single tensor as one). Throws what the model throws; ModelError for
  /// an output that is not tensors.
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& inputs) const;

  /// A TorchScript file (not a demo model) whose parameters were fp32, turned
  /// to fp16 or bf16 at load (to_floating_dtype). A graph traced in fp32 may
  /// keep fp32 constants and casts, so the pipeline says so at start-up.
  bool converted() const { return converted_; }

 private:
  friend Model load_module(const std::string&, DemoModel, const torch::Device&, torch::ScalarType);
  friend Model load_model_file(const std::string&, const std::string&, const torch::Device&, torch::ScalarType);
  struct Aoti;
  std::string spec_;
  std::shared_ptr<torch::jit::Module> script_;
  std::shared_ptr<Aoti> aoti_;
  torch::Device device_{torch::kCPU};
  bool converted_ = false;
};

/// Converts the floating-point parameters and buffers of `module` (its
/// submodules' too) to `dtype` and leaves integer ones as they are, as
/// PyTorch's Module.to(dtype) does (LibTorch's jit::Module::to converts all).
void to_floating_dtype(torch::jit::Module& module, torch::ScalarType dtype);

/// `spec` is a path or kDemoModelSpec; `demo` names the role in errors ("detector").
Model load_module(const std::string& spec, DemoModel demo, const torch::Device& device, torch::ScalarType dtype);

/// A model file (TorchScript, or an AOTInductor package where this build
/// loads them); `role` names it in errors ("segmentation"). Throws ModelError.
Model load_model_file(const std::string& spec, const std::string& role, const torch::Device& device,
                      torch::ScalarType dtype);

/// One line for an exception from LibTorch: a c10::Error without its
/// backtrace, a TorchScript interpreter error reduced to its last line
/// (the error itself, without the TorchScript traceback).
std::string short_error(const std::exception& e);

/// A model output that must be two tensors; otherwise a ModelError
/// "<spec>: forward <want>, got <n> outputs".
std::pair<torch::Tensor, torch::Tensor> tensor_pair(const std::vector<torch::Tensor>& out, const std::string& spec,
                                                    const std::string& want);

/// The shape of a tensor as "[1, 3, 640, 640]".
std::string shape_of(const torch::Tensor& t);

}  // namespace igtb
