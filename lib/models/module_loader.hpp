// Loading a TorchScript module from the config's spec: a file path, or
// "demo" for the built-in demo model of that role. Both go through the same
// torch::jit::load (the demo one from memory), onto the configured device,
// in the configured precision. A file that cannot serve gets one ModelError
// naming the file and what is wrong.
#pragma once

#include <torch/script.h>

#include <stdexcept>
#include <string>

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

/// `spec` is a path or kDemoModelSpec; `role` names it in errors ("detector").
torch::jit::Module load_module(const std::string& spec, DemoModel demo, const torch::Device& device,
                               torch::ScalarType dtype);

/// One line for an exception from LibTorch: a c10::Error without its
/// backtrace, a TorchScript interpreter error reduced to its last line
/// (the error itself, without the TorchScript traceback).
std::string short_error(const std::exception& e);

/// A module output that must be a tuple of two tensors; otherwise a
/// ModelError "<spec>: forward <want>, got <kind>".
std::pair<torch::Tensor, torch::Tensor> tensor_pair(const torch::jit::IValue& out, const std::string& spec,
                                                    const std::string& want);

/// The shape of a tensor as "[1, 3, 640, 640]".
std::string shape_of(const torch::Tensor& t);

}  // namespace igtb
