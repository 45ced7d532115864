// Is the bridge healthy? What GET /healthz answers (200 or 503 with the
// reason), the igtbridge_up gauge, and whether the systemd watchdog is fed.
// Healthy: models loaded (the bridge runs only once they are), no worker
// stuck on one frame, frames flowing or no upstream yet, and not every
// recent frame failed. Pure apart from the clock the caller passes in.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

namespace igtb {

class InferenceBridge;

struct HealthOptions {
  /// A worker on one frame for longer than this is stuck (a hung driver, a deadlock).
  double stuck_after_s = 10;
  /// Upstream lost for longer than this (after it was connected once) is unhealthy.
  double upstream_timeout_s = 30;
  /// "Every recent frame failed" looks back this far.
  double window_s = 5;
};

struct Health {
  bool ok = true;
  /// A worker stuck on a frame: what a restart can cure (systemd's watchdog
  /// goes unfed); upstream lost or failing frames are not (a restart would
  /// only cut Slicer's connection).
  bool stuck = false;
  std::string reason;  ///< why not ok ("" when ok)
  /// {"status": "ok"|"unhealthy", "reason": ..., "upstream": ..., "frames_recent": n, "failed_recent": n}
  std::string json;
};

/// What the health decision reads, sampled by the caller (the daemon's loop).
struct HealthSample {
  std::chrono::steady_clock::time_point now;
  bool upstream_connected = false;
  std::uint64_t upstream_connections = 0;  ///< 0: never connected yet (healthy: waiting for PlusServer)
  std::uint64_t processed = 0, failed = 0; ///< totals so far
  double longest_busy_s = 0;               ///< the longest any worker has been on its frame in hand
};

/// The sample of a running bridge at `now`: its stats and its workers' longest frame in hand.
HealthSample health_sample(const InferenceBridge& bridge, std::chrono::steady_clock::time_point now);

class HealthTracker {
 public:
  explicit HealthTracker(HealthOptions options) : opt_(options) {}
  /// The health as of `s` (call it often: every 50 ms in the daemon).
  Health update(const HealthSample& s);

 private:
  HealthOptions opt_;
  struct Point {
    std::chrono::steady_clock::time_point t;
    std::uint64_t processed, failed;
  };
  std::deque<Point> window_;
  bool timing_loss_ = false;
  std::chrono::steady_clock::time_point lost_at_{};
};

}  // namespace igtb
