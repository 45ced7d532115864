#include "pipeline/frame_graph.hpp"

#include <stdexcept>

#ifdef IGTB_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

namespace igtb {

#ifdef IGTB_WITH_CUDA
struct FrameGraph::Impl {
  at::cuda::CUDAGraph graph;
};
bool FrameGraph::available() { return true; }
#else
struct FrameGraph::Impl {};
bool FrameGraph::available() { return false; }
#endif

FrameGraph::FrameGraph(const torch::Device& device) : device_(device) {
  if (!device_.is_cuda()) throw std::invalid_argument("CUDA graphs need a CUDA device, not " + device_.str());
  if (!available()) throw std::invalid_argument("this build cannot capture CUDA graphs");
}

FrameGraph::~FrameGraph() = default;

void FrameGraph::reset() {
  impl_.reset();
  ready_ = false;
}

bool FrameGraph::capture(const std::function<void()>& work, std::string* why) {
  reset();
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(device_);
  const c10::cuda::CUDAStream current = c10::cuda::getCurrentCUDAStream(device_.index());
  const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, device_.index());
  {  // the capture stream starts behind what the current stream has queued (the frame's upload)
    at::cuda::CUDAEvent queued;
    queued.record(current);
    queued.block(side);
  }
  impl_ = std::make_unique<Impl>();
  try {
    const c10::cuda::CUDAStreamGuard on_side(side);
    try {
      impl_->graph.capture_begin();
      work();
      impl_->graph.capture_end();
    } catch (...) {
      // Close the capture (and the allocator's routing into the graph's
      // pool) before anything else runs on this device; capture_end throws
      // for the invalid graph, which is expected here.
      try {
        impl_->graph.capture_end();
      } catch (...) {
      }
      throw;
    }
  } catch (const std::exception& e) {
    impl_.reset();
    (void)cudaGetLastError();  // a failed capture leaves a (non-sticky) error behind
    if (why) *why = e.what();
    return false;
  }
  {  // the current stream continues behind the capture stream
    at::cuda::CUDAEvent captured;
    captured.record(side);
    captured.block(current);
  }
  ready_ = true;
  ++captures_;
  return true;
#else
  (void)work;
  if (why) *why = "this build cannot capture CUDA graphs";
  return false;
#endif
}

void FrameGraph::replay() {
  if (!ready_) throw std::logic_error("FrameGraph::replay before a successful capture");
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(device_);
  impl_->graph.replay();
  ++replays_;
#endif
}

}  // namespace igtb
