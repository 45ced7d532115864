// Health of a running bridge, for the log and for Slicer: every
// `status_interval_s` one STRING message (device `status_device`, one JSON
// object) goes to every client, and every `summary_interval_s` one summary
// line goes to the log. Both describe the interval since the last one:
//   {"uptime_s": 12.0, "fps_in": 30.0, "fps_out": 29.9, "dropped": 0,
//    "dropped_total": 3, "failed": 0, "failed_total": 0, "e2e_p50_ms": 5.1,
//    "e2e_p99_ms": 6.3, "clients": 1, "client_drops_total": 0,
//    "upstream": "connected", "model_device": "cuda:0", "precision": "fp16"}
// Latency percentiles are null when no frame was processed in the interval.
// The owner calls poll() often (the daemon: every 50 ms); nothing here sleeps.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "bridge/inference_bridge.hpp"

namespace igtb {

/// One second of the bridge, for the dashboard (the monitoring endpoint).
struct MonitorTick {
  InferenceStats now, before;
  double seconds = 0, uptime_s = 0;
  const std::vector<double>* latencies_ms = nullptr;  ///< e2e of that second's frames
};

struct MonitorOptions {
  double status_interval_s = 1.0;   ///< 0 = no status messages
  double summary_interval_s = 5.0;  ///< > 0
  std::string status_device = "IgtbridgeStatus";
  std::string model_device;         ///< e.g. "cuda:0", reported as is
  std::string precision;            ///< e.g. "fp16"
  /// Called about once a second with that second's figures (the dashboard's
  /// feed); empty = none.
  std::function<void(const MonitorTick&)> on_tick;
};

/// The one-time warning when most frames of an interval were dropped because
/// the pipeline was busy ("" when not: at least 10 frames in, over half of
/// them dropped): names the cause (the time a frame takes on the device) and
/// the fixes. Pure, for tests and the monitor.
std::string drop_warning(const InferenceStats& now, const InferenceStats& before, double seconds,
                         const std::vector<double>& latencies_ms, const std::string& model_device);

/// The status JSON of one interval (pure: for tests and the monitor).
std::string status_json(const InferenceStats& now, const InferenceStats& before, double seconds, double uptime_s,
                        const std::vector<double>& latencies_ms, const MonitorOptions& o);

class Monitor {
 public:
  using Clock = std::chrono::steady_clock;
  Monitor(InferenceBridge& bridge, MonitorOptions options);

  /// Sends the status message and writes the summary line when they are due.
  void poll(Clock::time_point now = Clock::now());
  std::uint64_t statuses_sent() const { return sent_; }

 private:
  InferenceBridge& bridge_;
  MonitorOptions opt_;
  Clock::time_point start_, last_status_, last_summary_, last_tick_;
  InferenceStats status_before_, summary_before_, tick_before_;
  std::vector<double> status_lat_, summary_lat_, tick_lat_;
  std::uint64_t sent_ = 0;
  bool warned_drops_ = false;  ///< the one warning that most frames are dropped
};

}  // namespace igtb
