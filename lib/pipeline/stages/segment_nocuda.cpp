// The label map kernel's launcher in a build whose LibTorch has no CUDA: the
// segment stage never calls it there (it refuses a CUDA tensor first), so
// reaching it is a bug, reported as such.
#include <stdexcept>

#include "pipeline/stages/segment_cuda.hpp"

namespace igtb::masks {

void launch_labels(const Geometry&, const void*, bool, const std::uint8_t*, std::uint8_t*, void*) {
  throw std::logic_error("label map: this build has no CUDA kernels");
}

}  // namespace igtb::masks
