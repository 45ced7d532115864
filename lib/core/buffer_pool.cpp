#include "core/buffer_pool.hpp"

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace igtb {

struct BufferPool::State {
  int limit = 0;
  Hooks hooks;
  mutable std::mutex m;
  std::vector<std::unique_ptr<Bytes>> idle;  // guarded by m
  int live = 0;                              // existing buffers, idle or held; guarded by m
  bool closed = false;                       // the pool is gone: returned buffers are freed
  std::uint64_t acquired = 0, misses = 0, created = 0;

  void destroy(std::unique_ptr<Bytes> b) const {
    if (b && hooks.on_destroy) hooks.on_destroy(b->data(), b->capacity());
  }

  /// The deleter of a handed-out buffer.
  void give_back(Bytes* raw) {
    std::unique_ptr<Bytes> b(raw);
    {
      std::lock_guard<std::mutex> lock(m);
      if (!closed) {
        idle.push_back(std::move(b));
        return;
      }
      --live;
    }
    destroy(std::move(b));
  }
};

BufferPool::BufferPool(int buffers, Hooks hooks) : state_(std::make_shared<State>()) {
  if (buffers < 1) throw std::invalid_argument("a buffer pool needs at least one buffer, got " + std::to_string(buffers));
  state_->limit = buffers;
  state_->hooks = std::move(hooks);
}

BufferPool::~BufferPool() {
  std::vector<std::unique_ptr<Bytes>> idle;
  {
    std::lock_guard<std::mutex> lock(state_->m);
    state_->closed = true;
    idle.swap(state_->idle);
    state_->live -= int(idle.size());
  }
  for (auto& b : idle) state_->destroy(std::move(b));
}

std::shared_ptr<Bytes> BufferPool::acquire(std::size_t size) {
  State& s = *state_;
  std::unique_ptr<Bytes> b, outgrown;
  {
    std::lock_guard<std::mutex> lock(s.m);
    for (auto it = s.idle.begin(); it != s.idle.end(); ++it)
      if ((*it)->capacity() >= size) {
        b = std::move(*it);
        s.idle.erase(it);
        break;
      }
    if (!b && s.live == s.limit && !s.idle.empty()) {  // all too small: replace one
      outgrown = std::move(s.idle.back());
      s.idle.pop_back();
      --s.live;
    }
    if (!b && s.live == s.limit) {
      ++s.misses;
      return nullptr;
    }
    if (!b) ++s.live;  // a new one, made outside the lock (page-locking takes a while)
    ++s.acquired;
  }
  s.destroy(std::move(outgrown));
  if (!b) {
    try {
      b = std::make_unique<Bytes>(size);
      if (s.hooks.on_create) s.hooks.on_create(b->data(), b->capacity());
    } catch (...) {
      std::lock_guard<std::mutex> lock(s.m);
      --s.live;
      --s.acquired;
      throw;
    }
    std::lock_guard<std::mutex> lock(s.m);
    ++s.created;
  }
  b->resize(size);  // within its capacity: the storage stays where the hooks saw it
  auto state = state_;
  return std::shared_ptr<Bytes>(b.release(), [state](Bytes* raw) { state->give_back(raw); });
}

int BufferPool::buffers() const { return state_->limit; }

std::uint64_t BufferPool::acquired() const {
  std::lock_guard<std::mutex> lock(state_->m);
  return state_->acquired;
}

std::uint64_t BufferPool::misses() const {
  std::lock_guard<std::mutex> lock(state_->m);
  return state_->misses;
}

std::uint64_t BufferPool::created() const {
  std::lock_guard<std::mutex> lock(state_->m);
  return state_->created;
}

int BufferPool::idle() const {
  std::lock_guard<std::mutex> lock(state_->m);
  return int(state_->idle.size());
}

}  // namespace igtb
