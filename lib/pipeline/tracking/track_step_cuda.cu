#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "pipeline/cuda/cuda_check.hpp"
#include "pipeline/tracking/track_step_cuda.hpp"

namespace igtb::step {
namespace {

static_assert(sizeof(State) % 8 == 0, "State is copied in 8-byte words");

/// The state moves into shared memory for the frame (lane 0's serial part
/// then pays shared, not global, latency) and back at the end.
__global__ void frame_step_kernel(Params p, State* g_state, Inputs in, Outputs out) {
  __shared__ State st;
  __shared__ Scratch s;
  const WarpLanes L;
  auto* from = reinterpret_cast<const unsigned long long*>(g_state);
  auto* to = reinterpret_cast<unsigned long long*>(&st);
  constexpr int words = int(sizeof(State) / 8);
  for (int w = L.lane(); w < words; w += WarpLanes::kCount) to[w] = from[w];
  L.sync();
  frame_step(L, p, st, s, in, out);
  auto* back = reinterpret_cast<unsigned long long*>(g_state);
  for (int w = L.lane(); w < words; w += WarpLanes::kCount) back[w] = to[w];
}

__global__ void assign_kernel(int rows, int cols, const double* costs, int* col_of_row) {
  __shared__ double cost[kMaxSide * kMaxSide];
  __shared__ SolverScratch s;
  const WarpLanes L;
  const double* mine = costs + std::size_t(blockIdx.x) * std::size_t(rows * cols);
  for (int e = L.lane(); e < rows * cols; e += WarpLanes::kCount) cost[e] = mine[e];
  L.sync();
  assign(L, rows, cols, cost, s, col_of_row + std::size_t(blockIdx.x) * std::size_t(rows));
}

void check_launch(const char* what) { cuda_check(cudaGetLastError(), what); }

}  // namespace

bool cuda_kernels_built() { return true; }

void launch_frame_step(const Params& p, State* state, const Inputs& in, const Outputs& out, void* stream) {
  frame_step_kernel<<<1, WarpLanes::kCount, 0, static_cast<cudaStream_t>(stream)>>>(p, state, in, out);
  check_launch("tracker step kernel");
}

void launch_assign(int batch, int rows, int cols, const double* costs, int* col_of_row, void* stream) {
  if (batch == 0) return;
  assign_kernel<<<batch, WarpLanes::kCount, 0, static_cast<cudaStream_t>(stream)>>>(rows, cols, costs, col_of_row);
  check_launch("assignment kernel");
}

}  // namespace igtb::step
