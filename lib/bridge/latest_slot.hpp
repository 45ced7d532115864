// Frame scheduling between the upstream reader and the pipeline worker: a
// one-slot mailbox where the latest frame wins. A frame still waiting when a
// newer one arrives is dropped and counted, so nothing queues without bound
// and the pipeline always works on the newest image.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

namespace igtb {

template <class T>
class LatestSlot {
 public:
  /// Puts `item`; returns true if it replaced a waiting one (a drop).
  bool put(T item) {
    bool replaced = false;
    {
      std::lock_guard<std::mutex> lock(m_);
      if (closed_) return false;
      replaced = slot_.has_value();
      if (replaced) ++dropped_;
      slot_ = std::move(item);
      ++put_;
    }
    cv_.notify_one();
    return replaced;
  }

  /// Waits for an item; empty once closed (a waiting item is still delivered first).
  std::optional<T> take() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return slot_.has_value() || closed_; });
    std::optional<T> out = std::move(slot_);
    slot_.reset();
    return out;
  }

  void close() {
    {
      std::lock_guard<std::mutex> lock(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  std::uint64_t dropped() const {
    std::lock_guard<std::mutex> lock(m_);
    return dropped_;
  }
  std::uint64_t received() const {
    std::lock_guard<std::mutex> lock(m_);
    return put_;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::optional<T> slot_;
  bool closed_ = false;
  std::uint64_t dropped_ = 0, put_ = 0;
};

}  // namespace igtb
