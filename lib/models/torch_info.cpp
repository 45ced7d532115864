#include "models/torch_info.hpp"

// spdlog and LibTorch headers in one translation unit on purpose: with a
// LibTorch 2.x whose include directory carries fmt v12, this file only
// compiles if cmake/IgtbDependencies.cmake put fmt 9 first.
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace igtb {

std::string torch_version() { return TORCH_VERSION; }

std::string torch_devices() {
  const std::size_t n = torch::cuda::device_count();
  if (n == 0) return "cpu";
  return fmt::format("cuda ({} device{})", n, n == 1 ? "" : "s");
}

}  // namespace igtb
