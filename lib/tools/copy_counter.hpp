// Host <-> device copies counted by the CUDA driver's own activity records
// (CUPTI, from the CUDA toolkit; LibTorch's kineto profiler is not in every
// build): every cudaMemcpy*, whether LibTorch, our code or a replayed CUDA
// graph issued it. Built where CUDA and CUPTI are found; elsewhere
// available() is false and start() throws.
#pragma once

#include <cstdint>

namespace igtb {

struct CopyCounts {
  std::uint64_t h2d = 0, d2h = 0, d2d = 0, other = 0;  ///< copies by direction
  std::uint64_t h2d_bytes = 0, d2h_bytes = 0;
};

class CopyCounter {
 public:
  static bool available();
  /// Throws std::runtime_error naming what is missing unless available().
  static void require();
  /// Starts recording (one counter at a time in a process). Throws
  /// std::runtime_error where CUPTI is missing or refuses.
  void start();
  /// Waits for the device, flushes the records and stops; returns the
  /// copies since start().
  CopyCounts stop();
};

}  // namespace igtb
