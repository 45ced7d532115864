#include "bridge/monitor.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>

#include "bridge/frame_report.hpp"
#include "core/percentile.hpp"

namespace igtb {
namespace {

double seconds_between(Monitor::Clock::time_point a, Monitor::Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::string status_json(const InferenceStats& now, const InferenceStats& before, double seconds, double uptime_s,
                        const std::vector<double>& lat, const MonitorOptions& o) {
  const double dt = seconds > 0 ? seconds : 1;
  const double nan = std::nan("");
  return "{\"uptime_s\": " + json_number(uptime_s, 1) +
         ", \"fps_in\": " + json_number(double(now.frames_in - before.frames_in) / dt, 1) +
         ", \"fps_out\": " + json_number(double(now.processed - before.processed) / dt, 1) +
         ", \"dropped\": " + std::to_string(now.dropped - before.dropped) +
         ", \"dropped_total\": " + std::to_string(now.dropped) +
         ", \"failed\": " + std::to_string(now.failed - before.failed) +
         ", \"failed_total\": " + std::to_string(now.failed) +
         ", \"ignored_total\": " + std::to_string(now.ignored) +
         ", \"unsupported_total\": " + std::to_string(now.unsupported) +
         ", \"malformed_total\": " + std::to_string(now.relay.malformed) +
         ", \"e2e_p50_ms\": " + json_number(lat.empty() ? nan : percentile(lat, 50), 2) +
         ", \"e2e_p99_ms\": " + json_number(lat.empty() ? nan : percentile(lat, 99), 2) +
         ", \"clients\": " + std::to_string(now.relay.clients) +
         ", \"client_drops_total\": " + std::to_string(now.relay.dropped) +
         ", \"upstream\": \"" + (now.relay.upstream_connected ? "connected" : "not connected") +
         "\", \"model_device\": " + json_string(o.model_device) + ", \"precision\": " + json_string(o.precision) + "}";
}

std::string drop_warning(const InferenceStats& now, const InferenceStats& before, double seconds,
                         const std::vector<double>& lat, const std::string& model_device) {
  const std::uint64_t in = now.frames_in - before.frames_in;
  const std::uint64_t dropped = now.dropped - before.dropped;
  if (in < 10 || 2 * dropped <= in) return "";
  const double dt = seconds > 0 ? seconds : 1;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "pipeline: %llu of %llu frames dropped in the last %.0f s: frames come every %.0f ms, the pipeline "
                "takes %.0f ms a frame (p50) on %s. Only the newest frame is processed; to process more, run the "
                "models on a GPU (models.device=cuda) or send fewer frames per second",
                static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(in), dt,
                1000.0 * dt / double(in), lat.empty() ? std::nan("") : percentile(lat, 50), model_device.c_str());
  return buf;
}

Monitor::Monitor(InferenceBridge& bridge, MonitorOptions options)
    : bridge_(bridge), opt_(std::move(options)), start_(Clock::now()), last_status_(start_), last_summary_(start_),
      last_tick_(start_), status_before_(bridge.stats()), summary_before_(status_before_), tick_before_(status_before_) {}

void Monitor::poll(Clock::time_point now) {
  const bool status_due = opt_.status_interval_s > 0 && seconds_between(last_status_, now) >= opt_.status_interval_s;
  const bool summary_due = seconds_between(last_summary_, now) >= opt_.summary_interval_s;
  const bool tick_due = opt_.on_tick && seconds_between(last_tick_, now) >= 1.0;
  if (!status_due && !summary_due && !tick_due) return;
  // One reader of the bridge's latencies: every window is fed from here.
  const std::vector<double> lat = bridge_.take_latencies();
  if (opt_.status_interval_s > 0) status_lat_.insert(status_lat_.end(), lat.begin(), lat.end());
  summary_lat_.insert(summary_lat_.end(), lat.begin(), lat.end());
  if (opt_.on_tick) tick_lat_.insert(tick_lat_.end(), lat.begin(), lat.end());
  const InferenceStats s = bridge_.stats();
  if (tick_due) {
    opt_.on_tick(MonitorTick{s, tick_before_, seconds_between(last_tick_, now), seconds_between(start_, now), &tick_lat_});
    tick_before_ = s;
    tick_lat_.clear();
    last_tick_ = now;
  }
  if (status_due) {
    bridge_.send_text(opt_.status_device, status_json(s, status_before_, seconds_between(last_status_, now),
                                                      seconds_between(start_, now), status_lat_, opt_));
    ++sent_;
    status_before_ = s;
    status_lat_.clear();
    last_status_ = now;
  }
  if (summary_due) {
    const double dt = seconds_between(last_summary_, now);
    spdlog::info("{}", inference_summary(s, summary_before_, dt, summary_lat_));
    if (!warned_drops_) {
      const std::string why = drop_warning(s, summary_before_, dt, summary_lat_, opt_.model_device);
      if (!why.empty()) {
        spdlog::warn("{} (said once)", why);
        warned_drops_ = true;
      }
    }
    summary_before_ = s;
    summary_lat_.clear();
    last_summary_ = now;
  }
}

}  // namespace igtb
