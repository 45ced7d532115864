#include "pipeline/cuda/stream_fork.hpp"

#include <stdexcept>
#include <string>

#include "pipeline/cuda/transfer.hpp"

#ifdef IGTB_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include "pipeline/cuda/cuda_check.hpp"
#endif

namespace igtb {

#ifdef IGTB_WITH_CUDA
namespace {
void check(cudaError_t e, const char* what) { cuda_check(e, std::string("stream fork: ") + what); }
cudaStream_t raw(const c10::Stream& s) { return c10::cuda::CUDAStream(c10::cuda::CUDAStream::UNCHECKED, s).stream(); }
}  // namespace
#endif

StreamFork::StreamFork(const torch::Device& device) : device_(device) {
  if (!device_.is_cuda()) throw std::invalid_argument("a stream fork needs a CUDA device, not " + device_.str());
#ifdef IGTB_WITH_CUDA
  side_ = std::make_unique<OwnedStream>(device_);
  const c10::cuda::CUDAGuard guard(device_);
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "event");
  forked_ = e;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "event");
  joined_ = e;
#else
  throw std::logic_error("this build has no CUDA streams");
#endif
}

StreamFork::~StreamFork() {
#ifdef IGTB_WITH_CUDA
  if (forked_) cudaEventDestroy(static_cast<cudaEvent_t>(forked_));
  if (joined_) cudaEventDestroy(static_cast<cudaEvent_t>(joined_));
#endif
}  // side_ waits for its stream, then destroys it

const c10::Stream& StreamFork::side() const { return side_->stream(); }

#ifdef IGTB_WITH_CUDA
StreamFork::Branch::Branch(StreamFork& fork)
    : fork_(fork), origin_(c10::cuda::getCurrentCUDAStream(fork.device_.index())) {
  if (fork_.busy_) throw std::logic_error("stream fork: the previous branch is not joined");
  auto* forked = static_cast<cudaEvent_t>(fork_.forked_);
  check(cudaEventRecord(forked, raw(origin_)), "record");
  check(cudaStreamWaitEvent(raw(fork_.side()), forked, 0), "wait");
  fork_.busy_ = true;
  c10::cuda::setCurrentCUDAStream(c10::cuda::CUDAStream(c10::cuda::CUDAStream::UNCHECKED, fork_.side()));
}

void StreamFork::Branch::close() {
  if (!open_) return;
  c10::cuda::setCurrentCUDAStream(c10::cuda::CUDAStream(c10::cuda::CUDAStream::UNCHECKED, origin_));
  open_ = false;
}

void StreamFork::Branch::join_impl(bool quietly) {
  close();
  if (joined_) return;
  joined_ = true;
  fork_.busy_ = false;
  auto* done = static_cast<cudaEvent_t>(fork_.joined_);
  const cudaError_t recorded = cudaEventRecord(done, raw(fork_.side()));
  const cudaError_t waited = recorded == cudaSuccess ? cudaStreamWaitEvent(raw(origin_), done, 0) : recorded;
  if (quietly) {
    (void)cudaGetLastError();
    return;
  }
  check(recorded, "record");
  check(waited, "wait");
}
#else
StreamFork::Branch::Branch(StreamFork& fork) : fork_(fork), origin_(c10::Stream::DEFAULT, fork.device_) {
  throw std::logic_error("this build has no CUDA streams");
}
void StreamFork::Branch::close() { open_ = false; }
void StreamFork::Branch::join_impl(bool) { joined_ = true; }
#endif

void StreamFork::Branch::join() { join_impl(false); }

StreamFork::Branch::~Branch() {
  try {
    join_impl(true);
  } catch (...) {
  }
}

}  // namespace igtb
