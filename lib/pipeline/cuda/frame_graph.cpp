#include "pipeline/cuda/frame_graph.hpp"

#include <stdexcept>

#ifdef IGTB_WITH_CUDA
#include <ATen/core/CachingHostAllocator.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

namespace igtb {

#ifdef IGTB_WITH_CUDA
namespace {
// Newer LibTorch also routes pinned host allocations into the graph's pool
// during capture; where the host allocator has no such routing there is
// nothing to undo (detected, so the source builds against both).
template <class A, class P>
auto host_pool_end(A* a, P pool, int) -> decltype(a->end_allocate_to_pool(pool), a->release_pool(pool), void()) {
  try { a->end_allocate_to_pool(pool); } catch (...) {}
  try { a->release_pool(pool); } catch (...) {}
}
template <class A, class P>
void host_pool_end(A*, P, long) {}
}  // namespace

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
  // Capture on the current stream (a pipeline's own); the default stream
  // cannot capture, so from there a side stream that starts behind it.
  const bool on_default = current == c10::cuda::getDefaultCUDAStream(device_.index());
  const c10::cuda::CUDAStream stream = on_default ? c10::cuda::getStreamFromPool(false, device_.index()) : current;
  if (on_default) {
    at::cuda::CUDAEvent queued;
    queued.record(current);
    queued.block(stream);
  }
  // Our own memory pool, so that a failed capture can hand it back: LibTorch's
  // capture_end throws on an invalidated capture before it ends the
  // allocators' routing into the pool.
  const auto pool = at::cuda::graph_pool_handle();
  impl_ = std::make_unique<Impl>();
  try {
    const c10::cuda::CUDAStreamGuard on_stream(stream);
    try {
      // Thread-local: other pipelines' threads may allocate while this one captures.
      impl_->graph.capture_begin(pool, cudaStreamCaptureModeThreadLocal);
      work();
      impl_->graph.capture_end();
    } catch (...) {
      try {  // ends the capture on the stream; throws for the invalid graph
        impl_->graph.capture_end();
      } catch (...) {
      }
      // Each may already be done (or never begun): their errors are expected.
      const auto dev = device_.index();
      try { c10::cuda::CUDACachingAllocator::endAllocateToPool(dev, pool); } catch (...) {}
      try { c10::cuda::CUDACachingAllocator::releasePool(dev, pool); } catch (...) {}
      host_pool_end(at::getHostAllocator(at::kCUDA), pool, 0);
      throw;
    }
  } catch (const std::exception& e) {
    impl_.reset();
    (void)cudaGetLastError();  // a failed capture leaves a (non-sticky) error behind
    if (why) *why = e.what();
    return false;
  }
  if (on_default) {  // the current stream continues behind the capture stream
    at::cuda::CUDAEvent captured;
    captured.record(stream);
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
