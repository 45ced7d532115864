// The frame's two host <-> device copies on CUDA, both with plain CUDA
// runtime calls (no LibTorch bookkeeping, so both can sit in or beside a
// captured CUDA graph):
// - UploadRing: a ring of pinned host slots, each with a CUDA event. A frame
//   already in page-locked memory (received into a page_locking() buffer)
//   is copied to the device from where it lies; any other frame's bytes go
//   into the next slot first (after that slot's previous copy completed).
//   The copy to the device is asynchronous on an upload stream, and the
//   current (compute) stream waits for it; the upload in turn waits for the
//   compute stream's work queued so far, which may still read the
//   destination. On the CPU the ring is a plain copy into the destination.
// - PinnedResult: the pinned host buffer the packed result is copied into,
//   asynchronously on the current stream.
#pragma once

#include <c10/core/Stream.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/buffer_pool.hpp"

namespace igtb {

class UploadRing {
 public:
  /// `slots` pinned slots (1..64) for `device`; throws std::invalid_argument.
  UploadRing(const torch::Device& device, int slots);
  /// Throws std::invalid_argument unless 1 <= slots <= 64.
  static void check_slots(int slots);
  ~UploadRing();
  UploadRing(const UploadRing&) = delete;
  UploadRing& operator=(const UploadRing&) = delete;

  /// Copies `bytes` from `src` into `dst` (contiguous, `bytes` long, on the
  /// ring's device) as described above. Returns without waiting for the
  /// device copy on CUDA: page-locked `src` must stay unchanged until the
  /// current stream's work queued so far has completed. Throws
  /// std::invalid_argument for a wrong `dst`, std::runtime_error for a CUDA error.
  void upload(const void* src, std::size_t bytes, torch::Tensor& dst);

  int slots() const { return int(slots_.size()); }
  std::uint64_t uploads() const { return uploads_; }
  /// Uploads that found their slot's previous copy still in flight and waited.
  std::uint64_t waits() const { return waits_; }
  /// Uploads copied from page-locked `src` itself, not through a slot.
  std::uint64_t direct() const { return direct_; }

 private:
  struct Slot;
  torch::Device device_;
  std::vector<std::unique_ptr<Slot>> slots_;
  void* upload_stream_ = nullptr;  ///< cudaStream_t (LibTorch pool stream)
  void* compute_done_ = nullptr;   ///< cudaEvent_t
  std::uint64_t uploads_ = 0, waits_ = 0, direct_ = 0;
};

/// BufferPool hooks that page-lock each buffer for `device`
/// (cudaHostRegister) and unlock it before it is freed; no hooks on the CPU.
BufferPool::Hooks page_locking(const torch::Device& device);
/// Bytes of `device`'s memory in use by every process (total - free,
/// cudaMemGetInfo); 0 for the CPU. The first call on a device creates its
/// CUDA context. Throws std::runtime_error for a CUDA error, std::logic_error
/// for a CUDA device in a build without CUDA.
std::size_t device_memory_in_use(const torch::Device& device);
/// Hands the device memory LibTorch's caching allocator holds but no tensor
/// uses back to the driver (emptyCache: waits for the device); memory pools
/// of CUDA graphs stay. Nothing on the CPU.
void release_cached_device_memory(const torch::Device& device);
/// Whether `p` lies in page-locked host memory (registered or pinned); false
/// without CUDA. Throws std::runtime_error for a CUDA error.
bool is_page_locked(const void* p);

/// A CUDA stream owned by its holder, for one pipeline: several upstream
/// streams' pipelines on one GPU then queue independently. Not from
/// LibTorch's pool, whose 32 streams per device are handed out round-robin
/// to the whole process (a pipeline could get another's stream). Created
/// non-blocking; the destructor waits for it, then destroys it. Throws
/// std::logic_error where the build has no CUDA.
class OwnedStream {
 public:
  /// `high_priority`: created at the device's greatest stream priority, so
  /// that its kernels are scheduled before those of normal-priority streams
  /// (a CUDA graph captured on it keeps the priority per kernel: LibTorch
  /// instantiates graphs with cudaGraphInstantiateFlagUseNodePriority).
  explicit OwnedStream(const torch::Device& device, bool high_priority = false);
  ~OwnedStream();
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  const c10::Stream& stream() const { return stream_; }
  void synchronize() const { stream_.synchronize(); }

 private:
  void* raw_ = nullptr;  ///< cudaStream_t
  c10::Stream stream_;
};

class PinnedResult {
 public:
  PinnedResult() = default;
  ~PinnedResult();
  PinnedResult(const PinnedResult&) = delete;
  PinnedResult& operator=(const PinnedResult&) = delete;

  /// Queues the copy of `src` (contiguous, CUDA) into the pinned buffer on
  /// the current stream, growing the buffer first when needed (never while a
  /// captured graph uses it: reserve() before capturing).
  void copy_async(const torch::Tensor& src);
  /// Makes the buffer at least `bytes` long.
  void reserve(std::size_t bytes);
  /// Waits for the current stream of `device`.
  static void wait(const torch::Device& device);
  const std::uint8_t* data() const { return static_cast<const std::uint8_t*>(data_); }

 private:
  void* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace igtb
