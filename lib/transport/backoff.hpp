// Exponential reconnect delay: initial, doubling, capped.
#pragma once

#include <algorithm>

namespace igtb {

class Backoff {
 public:
  Backoff(double initial_s, double max_s) : initial_(initial_s), max_(std::max(max_s, initial_s)), next_(initial_s) {}
  /// The delay to wait now; the following one doubles up to the cap.
  double next() {
    const double d = next_;
    next_ = std::min(next_ * 2, max_);
    return d;
  }
  void reset() { next_ = initial_; }
  double cap() const { return max_; }

 private:
  double initial_, max_, next_;
};

}  // namespace igtb
