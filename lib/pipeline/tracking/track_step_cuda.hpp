// Launchers of the tracker step (track_step.hpp) on a CUDA device, free of
// LibTorch so that nvcc compiles them alone. Built from track_step_cuda.cu
// where LibTorch has CUDA; elsewhere (track_step_nocuda.cpp) they throw.
#pragma once

#include "pipeline/tracking/track_step.hpp"

namespace igtb::step {

/// Whether this build holds the CUDA kernels.
bool cuda_kernels_built();

/// One frame on `stream` (a cudaStream_t): one block of one warp. `state`,
/// the inputs and outputs are device pointers. Launches only (no sync).
void launch_frame_step(const Params& p, State* state, const Inputs& in, const Outputs& out, void* stream);

/// `batch` independent assignments of rows x cols double matrices
/// (row-major, back to back) into col_of_row[batch][rows]: one block each.
void launch_assign(int batch, int rows, int cols, const double* costs, int* col_of_row, void* stream);

}  // namespace igtb::step
