#include "pipeline/cuda/frame_graph.hpp"

#include <chrono>
#include <stdexcept>

#ifdef IGTB_WITH_CUDA
#include <ATen/core/CachingHostAllocator.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include "pipeline/cuda/cuda_check.hpp"
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
  cudaEvent_t start = nullptr, end = nullptr;  ///< replay_timed()'s, made at its first call
  double launch_ms = 0;
  bool timed = false;  ///< a timed replay came since the capture
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (start) cudaEventDestroy(start);
    if (end) cudaEventDestroy(end);
  }
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

void FrameGraph::replay() { launch(false); }

void FrameGraph::replay_timed() { launch(true); }

void FrameGraph::launch(bool timed) {
  if (!ready_) throw std::logic_error("FrameGraph::replay before a successful capture");
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(device_);
  Impl& g = *impl_;
  if (!timed) {
    g.graph.replay();
    ++replays_;
    return;
  }
  if (!g.start) cuda_check(cudaEventCreate(&g.start), "replay timing event");
  if (!g.end) cuda_check(cudaEventCreate(&g.end), "replay timing event");
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(device_.index()).stream();
  cuda_check(cudaEventRecord(g.start, stream), "replay timing: start event");
  const auto t0 = std::chrono::steady_clock::now();
  g.graph.replay();
  const auto t1 = std::chrono::steady_clock::now();
  cuda_check(cudaEventRecord(g.end, stream), "replay timing: end event");
  g.launch_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  g.timed = true;
  ++replays_;
#else
  (void)timed;
#endif
}

ReplayTimes FrameGraph::replay_times() {
  ReplayTimes t;
#ifdef IGTB_WITH_CUDA
  if (!impl_ || !impl_->timed) throw std::logic_error("FrameGraph::replay_times without a timed replay");
  const c10::cuda::CUDAGuard guard(device_);
  cuda_check(cudaEventSynchronize(impl_->end), "replay timing: waiting for the end event");
  float ms = 0;
  cuda_check(cudaEventElapsedTime(&ms, impl_->start, impl_->end), "replay timing: elapsed time");
  t.launch_ms = impl_->launch_ms;
  t.gpu_ms = double(ms);
#else
  throw std::logic_error("FrameGraph::replay_times without a timed replay");
#endif
  return t;
}

}  // namespace igtb
