#include "bridge/health.hpp"

#include <spdlog/fmt/fmt.h>

#include "bridge/frame_report.hpp"
#include "bridge/inference_bridge.hpp"

namespace igtb {

HealthSample health_sample(const InferenceBridge& bridge, std::chrono::steady_clock::time_point now) {
  const InferenceStats s = bridge.stats();
  return {now, s.relay.upstream_connected, s.relay.upstream_connections, s.processed, s.failed,
          bridge.longest_busy_s(now)};
}

Health HealthTracker::update(const HealthSample& s) {
  using std::chrono::duration;
  window_.push_back({s.now, s.processed, s.failed});
  // Keep one point at or before the window's start, as the baseline.
  while (window_.size() > 2 && duration<double>(s.now - window_[1].t).count() >= opt_.window_s) window_.pop_front();
  const Point& base = window_.front();
  const std::uint64_t frames = s.processed - base.processed, failed = s.failed - base.failed;

  if (s.upstream_connected) timing_loss_ = false;  // reset the loss timer
  const bool lost = !s.upstream_connected && s.upstream_connections > 0;
  if (lost && !timing_loss_) {
    timing_loss_ = true;
    lost_at_ = s.now;
  }
  const double lost_for = lost ? duration<double>(s.now - lost_at_).count() : 0.0;

  Health h;
  if (s.longest_busy_s > opt_.stuck_after_s) {
    h.stuck = true;
    h.reason = fmt::format("a pipeline worker has been on one frame for {:.1f} s (health.stuck_after_s {:g})",
                           s.longest_busy_s, opt_.stuck_after_s);
  } else if (lost && lost_for > opt_.upstream_timeout_s) {
    h.reason = fmt::format("upstream (PlusServer) lost {:.0f} s ago (health.upstream_timeout_s {:g})", lost_for,
                           opt_.upstream_timeout_s);
  } else if (frames > 0 && failed == frames) {
    h.reason = fmt::format("every frame of the last {:g} s failed ({} frames; the log says why)", opt_.window_s, frames);
  }
  h.ok = h.reason.empty();
  const char* upstream = s.upstream_connected ? "connected" : s.upstream_connections ? "lost" : "not connected yet";
  h.json = fmt::format("{{\"status\": \"{}\", \"reason\": {}, \"upstream\": \"{}\", \"frames_recent\": {}, "
                       "\"failed_recent\": {}, \"window_s\": {}}}",
                       h.ok ? "ok" : "unhealthy", h.ok ? "null" : json_string(h.reason), upstream, frames, failed,
                       json_number(opt_.window_s, 1));
  return h;
}

}  // namespace igtb
