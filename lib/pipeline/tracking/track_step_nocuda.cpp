// The tracker step's CUDA launchers in a build whose LibTorch has no CUDA:
// the pipeline never calls them there (it refuses a CUDA device first), so
// reaching one is a bug, reported as such.
#include <stdexcept>

#include "pipeline/tracking/track_step_cuda.hpp"

namespace igtb::step {

bool cuda_kernels_built() { return false; }

void launch_frame_step(const Params&, State*, const Inputs&, const Outputs&, void*) {
  throw std::logic_error("tracker step: this build has no CUDA kernels");
}

void launch_assign(int, int, int, const double*, int*, void*) {
  throw std::logic_error("assignment: this build has no CUDA kernels");
}

}  // namespace igtb::step
