// The monitoring endpoint (http.port; docs/monitoring.md), on cpp-httplib:
//   GET /healthz      200 {"status": "ok", ...} or 503 {"status": "unhealthy", "reason": ...}
//   GET /metrics      Prometheus text format (bridge/metrics.hpp)
//   GET /             the dashboard page (one HTML file with its script, no CDN)
//   GET /events       Server-Sent Events: "tick" once a second (JSON; the last 5 minutes' first),
//                     "overlay" per new picture
//   GET /overlay.png  the latest picture of a frame with its labels
//   GET /api/summary  the latest tick (JSON), for scripts
// Read-only: nothing here changes the bridge. Peers outside http.allow get
// 403; other methods 405. The owner calls poll() often (the daemon: every
// 50 ms) with the bridge's health; the PNG is made there, never on a worker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/health.hpp"
#include "bridge/inference_bridge.hpp"
#include "bridge/monitor.hpp"
#include "bridge/overlay.hpp"
#include "core/address_filter.hpp"

namespace httplib {
class Server;
}

namespace igtb {

struct WebOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 18980;  ///< 0: an ephemeral port (port() tells which)
  std::vector<std::string> allow;
  double overlay_fps = 2;  ///< 0: no pictures
  int overlay_width = 320;
  double amber_e2e_ms = 50, red_e2e_ms = 100;
  double amber_drop_percent = 10, red_drop_percent = 50;
  std::string version, model_device, precision;
  int max_event_clients = 4;  ///< open /events streams at most (each holds a server thread)
  /// The GPU memory in use (bytes), asked once a second on the monitoring
  /// thread; empty = not on a GPU (no gauge).
  std::function<double()> gpu_memory_bytes;
};

/// The dashboard's tick: the status figures of one second, stage means from
/// the histograms, the health. Pure, for tests and the endpoint.
std::string tick_json(const MonitorTick& t, const std::vector<Histogram::Snapshot>& stages_now,
                      const std::vector<Histogram::Snapshot>& stages_before, std::uint32_t tracks_visible,
                      const Health& health, double gpu_memory_bytes, const WebOptions& o);

class WebMonitor {
 public:
  using Clock = std::chrono::steady_clock;
  /// Binds and starts serving; throws std::runtime_error naming http.port or
  /// http.bind when the address cannot be taken.
  WebMonitor(InferenceBridge& bridge, WebOptions options);
  ~WebMonitor();
  WebMonitor(const WebMonitor&) = delete;
  WebMonitor& operator=(const WebMonitor&) = delete;

  std::uint16_t port() const { return port_; }
  /// The health to serve; arms and encodes the overlay picture when due.
  void poll(const Health& health, Clock::time_point now = Clock::now());
  /// The Monitor's once-a-second figures (MonitorOptions::on_tick).
  void tick(const MonitorTick& t);
  /// Reloads so far and those that failed (bridge/reload.hpp), for /metrics.
  void set_reloads(std::uint64_t done, std::uint64_t failed) {
    reloads_.store(done);
    reloads_failed_.store(failed);
  }
  /// Closes the event streams and stops serving.
  void stop();

  /// Counters for tests and the bench: requests served, pictures made, event streams open.
  std::uint64_t requests() const { return requests_.load(); }
  std::uint64_t pictures() const { return pictures_.load(); }
  int event_clients() const { return event_clients_.load(); }

 private:
  std::string metrics_text();
  void publish(const std::string& event, const std::string& data);
  void serve_events(std::uint64_t& last_seen, std::string& out, bool& open);

  InferenceBridge& bridge_;
  WebOptions opt_;
  AddressFilter allow_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  Clock::time_point start_ = Clock::now(), last_arm_{};

  mutable std::mutex m_;  ///< all below
  std::condition_variable cv_;
  Health health_;
  std::string last_tick_ = "{}";
  std::vector<std::uint8_t> png_;
  std::uint64_t png_seq_ = 0;
  std::deque<std::pair<std::uint64_t, std::string>> events_;  ///< the last few, as SSE text
  std::deque<std::string> history_;  ///< the last minutes' ticks (JSON), sent first to a new stream
  std::string last_overlay_;         ///< the latest overlay event (SSE text)
  std::uint64_t seq_ = 0;
  bool stopping_ = false;
  std::vector<Histogram::Snapshot> stages_before_;
  std::vector<std::string> refused_logged_;

  OverlayFrame frame_;  ///< poll()'s: swapped with the tap's
  std::atomic<std::uint64_t> requests_{0}, pictures_{0};
  std::atomic<int> event_clients_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> reloads_{0}, reloads_failed_{0};
  std::atomic<double> gpu_memory_{-1};
};

/// The dashboard page (bridge/web/dashboard.html, built in).
const std::string& dashboard_html();

}  // namespace igtb
