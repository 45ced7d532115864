// A third executor for the tracker step (track_step.hpp), for tests only:
// N host threads as the lanes of a CUDA warp, with a real barrier for
// sync() and an all-lanes reduction for argmin(). It runs the lane-parallel
// code paths of the CUDA kernel on the CPU, so a missing sync between lanes
// shows up here as a wrong result, and as a data race under TSan.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace igtb::test {

class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(m_);
    const unsigned long gen = generation_;
    if (++waiting_ == n_) {
      waiting_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_, waiting_ = 0;
  unsigned long generation_ = 0;
};

template <int N>
struct ThreadLanes {
  static constexpr int kCount = N;
  struct Shared {
    Barrier barrier{kCount};
    double value[kCount];
    int index[kCount];
  };
  int me;
  Shared* shared;

  int lane() const { return me; }
  void sync() const { shared->barrier.arrive_and_wait(); }
  void argmin(double& value, int& index) const {
    shared->value[me] = value;
    shared->index[me] = index;
    sync();
    for (int l = 0; l < kCount; ++l) {
      const double v = shared->value[l];
      const int i = shared->index[l];
      if (v < value || (v == value && i < index)) value = v, index = i;
    }
    sync();  // nobody overwrites the slots before every lane has read them
  }

  /// Runs body(lanes) on N threads and joins them.
  static void run(const std::function<void(const ThreadLanes&)>& body) {
    Shared shared;
    std::vector<std::thread> threads;
    for (int l = 0; l < kCount; ++l) threads.emplace_back([&, l] { body(ThreadLanes{l, &shared}); });
    for (auto& t : threads) t.join();
  }
};

}  // namespace igtb::test
