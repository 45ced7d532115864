// One CUDA runtime error check for the pipeline's CUDA sources (the upload
// ring, the stream fork, the tracker kernels): a failed call becomes a
// std::runtime_error "what: CUDA's message". Include only where CUDA is built.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace igtb {

inline void cuda_check(cudaError_t e, const std::string& what) {
  if (e != cudaSuccess) throw std::runtime_error(what + ": " + cudaGetErrorString(e));
}

}  // namespace igtb
