// Model precisions by name, and where each can run: one rule for the config
// (checked when a file is read) and the pipeline (checked when it is built).
#pragma once

#include <string>

namespace igtb {

/// Why `precision` ("fp32", "fp16", "bf16") cannot run on `torch_device`
/// ("cpu", "cuda", "cuda:N"); "" where it can. The half precisions need CUDA:
/// LibTorch's CPU kernels for them are missing or far slower than fp32.
inline std::string precision_problem(const std::string& precision, const std::string& torch_device) {
  if (precision == "fp32" || torch_device != "cpu") return {};
  return precision + " needs a CUDA device; use fp32 on the CPU";
}

}  // namespace igtb
