// Polling for a condition in tests that involve threads or sockets.
#pragma once

#include <chrono>
#include <thread>

namespace igtb::test {

/// True as soon as f() is; false if it still is not after `limit` (checked every 10 ms).
template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

}  // namespace igtb::test
