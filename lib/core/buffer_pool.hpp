// A bounded pool of reusable byte buffers, handed out as shared pointers
// that give the buffer back to the pool when its last holder lets go (from
// any thread, also after the pool itself is gone). The upstream reader
// receives IMAGE messages into them; on CUDA the pipeline's hooks page-lock
// each buffer once, so the frame goes from the socket to the device with no
// host copy in between (see UploadRing).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/bytes.hpp"

namespace igtb {

class BufferPool {
 public:
  struct Hooks {
    /// A new buffer's storage (data, capacity), e.g. to page-lock it; may
    /// throw, and the buffer is then dropped and the error passed on.
    std::function<void(std::uint8_t*, std::size_t)> on_create;
    /// Before that storage is freed (or outgrown); must not throw.
    std::function<void(std::uint8_t*, std::size_t)> on_destroy;
  };

  /// At most `buffers` (>= 1) exist at once; throws std::invalid_argument.
  explicit BufferPool(int buffers, Hooks hooks = {});
  /// Frees the idle buffers; the held ones are freed by their last holder.
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// A buffer of exactly `size` bytes (contents undefined) whose storage
  /// stays put while it is held (never resize it past `size`), or null when
  /// all the buffers are held. A buffer too small for `size` is replaced.
  std::shared_ptr<Bytes> acquire(std::size_t size);

  int buffers() const;
  std::uint64_t acquired() const;  ///< buffers handed out
  std::uint64_t misses() const;    ///< acquire() calls that found every buffer held
  std::uint64_t created() const;   ///< storage allocated (and hooked) so far
  int idle() const;                ///< buffers back in the pool

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace igtb
