#include "pipeline/cuda/transfer.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#ifdef IGTB_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include "pipeline/cuda/cuda_check.hpp"
#endif

namespace igtb {
namespace {

#ifdef IGTB_WITH_CUDA
cudaStream_t current_stream(const torch::Device& d) { return c10::cuda::getCurrentCUDAStream(d.index()).stream(); }
#else
[[noreturn]] void no_cuda() { throw std::logic_error("this build has no CUDA transfers"); }
#endif

}  // namespace

struct UploadRing::Slot {
  void* host = nullptr;  ///< pinned (cudaHostAlloc)
  std::size_t capacity = 0;
  void* done = nullptr;  ///< cudaEvent_t of the last copy out of this slot
  bool in_flight = false;
};

void UploadRing::check_slots(int slots) {
  if (slots < 1 || slots > 64) throw std::invalid_argument("upload slots must be 1..64, got " + std::to_string(slots));
}

UploadRing::UploadRing(const torch::Device& device, int slots) : device_(device) {
  check_slots(slots);
  for (int i = 0; i < slots; ++i) slots_.push_back(std::make_unique<Slot>());
  if (!device_.is_cuda()) return;
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(device_);
  cudaStream_t up = nullptr;  // its own (not the pool's, shared by the whole process)
  cuda_check(cudaStreamCreateWithFlags(&up, cudaStreamNonBlocking), "upload ring stream");
  upload_stream_ = up;
  cudaEvent_t e = nullptr;
  cuda_check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "upload ring event");
  compute_done_ = e;
  for (auto& s : slots_) {
    cuda_check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "upload ring event");
    s->done = e;
  }
#else
  no_cuda();
#endif
}

UploadRing::~UploadRing() {
#ifdef IGTB_WITH_CUDA
  if (!device_.is_cuda()) return;
  const c10::cuda::CUDAGuard guard(device_);
  for (auto& s : slots_) {
    if (s->done) {
      cudaEventSynchronize(static_cast<cudaEvent_t>(s->done));
      cudaEventDestroy(static_cast<cudaEvent_t>(s->done));
    }
    if (s->host) cudaFreeHost(s->host);
  }
  if (compute_done_) cudaEventDestroy(static_cast<cudaEvent_t>(compute_done_));
  if (upload_stream_) {
    cudaStreamSynchronize(static_cast<cudaStream_t>(upload_stream_));
    cudaStreamDestroy(static_cast<cudaStream_t>(upload_stream_));
  }
#endif
}

void UploadRing::upload(const void* src, std::size_t bytes, torch::Tensor& dst) {
  if (!dst.is_contiguous() || std::size_t(dst.nbytes()) != bytes || dst.device() != device_)
    throw std::invalid_argument("upload: the destination must be " + std::to_string(bytes) + " contiguous bytes on " +
                                device_.str());
  ++uploads_;
  if (!device_.is_cuda()) {
    std::memcpy(dst.data_ptr(), src, bytes);
    return;
  }
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(device_);
  Slot& s = *slots_[std::size_t((uploads_ - 1) % slots_.size())];
  auto* done = static_cast<cudaEvent_t>(s.done);
  if (s.in_flight) {
    if (cudaEventQuery(done) == cudaErrorNotReady) ++waits_;
    cuda_check(cudaEventSynchronize(done), "upload ring: waiting for a slot");
    s.in_flight = false;
  }
  const void* from = src;
  if (bytes > 0 && is_page_locked(src) && is_page_locked(static_cast<const std::uint8_t*>(src) + bytes - 1)) {
    ++direct_;  // received into a page-locked buffer: no host copy
  } else {
    if (s.capacity < bytes) {
      if (s.host) cuda_check(cudaFreeHost(s.host), "upload ring: freeing a slot");
      s.host = nullptr;
      s.capacity = 0;
      cuda_check(cudaHostAlloc(&s.host, bytes, cudaHostAllocDefault), "upload ring: pinned slot");
      s.capacity = bytes;
    }
    std::memcpy(s.host, src, bytes);
    from = s.host;
  }
  const cudaStream_t compute = current_stream(device_);
  auto* up = static_cast<cudaStream_t>(upload_stream_);
  auto* compute_done = static_cast<cudaEvent_t>(compute_done_);
  cuda_check(cudaEventRecord(compute_done, compute), "upload ring: event");  // earlier frames may still read dst
  cuda_check(cudaStreamWaitEvent(up, compute_done, 0), "upload ring: wait");
  cuda_check(cudaMemcpyAsync(dst.data_ptr(), from, bytes, cudaMemcpyHostToDevice, up), "upload ring: copy");
  cuda_check(cudaEventRecord(done, up), "upload ring: event");
  s.in_flight = true;
  cuda_check(cudaStreamWaitEvent(compute, done, 0), "upload ring: wait");
#else
  no_cuda();
#endif
}

std::size_t device_memory_in_use(const torch::Device& device) {
  if (!device.is_cuda()) return 0;
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(torch::Device(torch::kCUDA, device.has_index() ? device.index() : 0));
  std::size_t free = 0, total = 0;
  cuda_check(cudaMemGetInfo(&free, &total), "device memory");
  return total - free;
#else
  no_cuda();
#endif
}

void release_cached_device_memory(const torch::Device& device) {
  if (!device.is_cuda()) return;
#ifdef IGTB_WITH_CUDA
  c10::cuda::CUDACachingAllocator::emptyCache();
#else
  no_cuda();
#endif
}

bool is_page_locked(const void* p) {
#ifdef IGTB_WITH_CUDA
  cudaPointerAttributes a{};
  const cudaError_t e = cudaPointerGetAttributes(&a, p);
  if (e == cudaErrorInvalidValue) {  // CUDA < 11 for plain host memory: an answer, not a failure
    cudaGetLastError();
    return false;
  }
  cuda_check(e, "asking whether a frame is page-locked");
  return a.type == cudaMemoryTypeHost;
#else
  (void)p;
  return false;
#endif
}

BufferPool::Hooks page_locking(const torch::Device& device) {
  BufferPool::Hooks h;
  if (!device.is_cuda()) return h;
#ifdef IGTB_WITH_CUDA
  h.on_create = [device](std::uint8_t* p, std::size_t n) {
    const c10::cuda::CUDAGuard guard(device);
    cuda_check(cudaHostRegister(p, n, cudaHostRegisterDefault), "page-locking an input buffer");
  };
  h.on_destroy = [device](std::uint8_t* p, std::size_t) {
    const c10::cuda::CUDAGuard guard(device);
    if (cudaHostUnregister(p) != cudaSuccess) cudaGetLastError();  // at exit the context may be gone
  };
#else
  no_cuda();
#endif
  return h;
}

OwnedStream::OwnedStream(const torch::Device& device, bool high_priority) : stream_(c10::Stream::DEFAULT, device) {
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(device);
  int least = 0, greatest = 0;  // numerically: greatest <= least
  if (high_priority) cuda_check(cudaDeviceGetStreamPriorityRange(&least, &greatest), "stream priorities");
  cudaStream_t s = nullptr;
  cuda_check(cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, high_priority ? greatest : least),
             "pipeline stream");
  raw_ = s;
  stream_ = c10::cuda::getStreamFromExternal(s, device.index()).unwrap();
#else
  no_cuda();
#endif
}

OwnedStream::~OwnedStream() {
#ifdef IGTB_WITH_CUDA
  if (!raw_) return;
  cudaStreamSynchronize(static_cast<cudaStream_t>(raw_));
  cudaStreamDestroy(static_cast<cudaStream_t>(raw_));
#endif
}

PinnedResult::~PinnedResult() {
#ifdef IGTB_WITH_CUDA
  if (data_) cudaFreeHost(data_);
#endif
}

void PinnedResult::reserve(std::size_t bytes) {
#ifdef IGTB_WITH_CUDA
  if (bytes <= capacity_) return;
  if (data_) cuda_check(cudaFreeHost(data_), "result buffer: free");
  data_ = nullptr;
  capacity_ = 0;
  cuda_check(cudaHostAlloc(&data_, bytes, cudaHostAllocDefault), "result buffer: pinned memory");
  capacity_ = bytes;
#else
  (void)bytes;
  no_cuda();
#endif
}

void PinnedResult::copy_async(const torch::Tensor& src) {
#ifdef IGTB_WITH_CUDA
  if (!src.is_cuda() || !src.is_contiguous()) throw std::invalid_argument("result copy: a contiguous CUDA tensor");
  reserve(std::size_t(src.nbytes()));
  cuda_check(cudaMemcpyAsync(data_, src.data_ptr(), std::size_t(src.nbytes()), cudaMemcpyDeviceToHost,
                        current_stream(src.device())),
        "result copy");
#else
  (void)src;
  no_cuda();
#endif
}

void PinnedResult::wait(const torch::Device& device) {
#ifdef IGTB_WITH_CUDA
  cuda_check(cudaStreamSynchronize(current_stream(device)), "waiting for the frame");
#else
  (void)device;
  no_cuda();
#endif
}

}  // namespace igtb
