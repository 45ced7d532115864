// Byte buffers: what images, messages and frame buffers are made of.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace igtb {

/// An allocator that leaves new bytes uninitialised: a 0.5-2 MB frame buffer
/// about to be filled by recv() or memcpy need not be zeroed first.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using Bytes = std::vector<std::uint8_t, DefaultInitAllocator<std::uint8_t>>;
/// Immutable bytes shared between queues (one encoded message, many clients).
using SharedBytes = std::shared_ptr<const Bytes>;

}  // namespace igtb
