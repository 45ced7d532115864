#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "pipeline/cuda/cuda_check.hpp"
#include "pipeline/stages/segment_cuda.hpp"

namespace igtb::masks {
namespace {

constexpr int kThreads = 128;

/// IEEE half as pixel_label reads it: float(value), without relying on
/// cuda_fp16's implicit conversions (builds may turn those off).
struct Half {
  __half value;
  __host__ __device__ operator float() const { return __half2float(value); }
};
static_assert(sizeof(Half) == sizeof(__half), "Half is read in place of __half");

// One thread a column of a band of rows: blockIdx.y strides over the rows
// (the grid's y is at most 65535; a frame may be taller).
template <typename T>
__global__ void labels_kernel(Geometry g, const T* logits, const std::uint8_t* ids, std::uint8_t* labels) {
  const int x = int(blockIdx.x) * kThreads + int(threadIdx.x);
  if (x >= g.width) return;
  const Taps tx = taps(x, g.width, g.part_w, g.square, g.side_w);
  for (int y = int(blockIdx.y); y < g.height; y += int(gridDim.y)) {
    const Taps ty = taps(y, g.height, g.part_h, g.square, g.side_h);
    labels[long(y) * g.width + x] = pixel_label(g, logits, ids, ty, tx);
  }
}

}  // namespace

void launch_labels(const Geometry& g, const void* logits, bool half, const std::uint8_t* ids, std::uint8_t* labels,
                   void* stream) {
  const dim3 grid(unsigned((g.width + kThreads - 1) / kThreads), unsigned(g.height < 65535 ? g.height : 65535));
  const auto s = static_cast<cudaStream_t>(stream);
  if (half)
    labels_kernel<<<grid, kThreads, 0, s>>>(g, static_cast<const Half*>(logits), ids, labels);
  else
    labels_kernel<<<grid, kThreads, 0, s>>>(g, static_cast<const float*>(logits), ids, labels);
  cuda_check(cudaGetLastError(), "label map kernel");
}

}  // namespace igtb::masks
