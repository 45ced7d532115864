#include "bridge/web_monitor.hpp"

#include <httplib.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bridge/frame_report.hpp"
#include "core/percentile.hpp"

namespace igtb {
namespace {

constexpr std::size_t kKeptEvents = 16;     ///< a stream further behind skips to the newest
constexpr std::size_t kHistoryTicks = 300;  ///< 5 minutes of ticks for a page that opens (~300 kB)

std::vector<Histogram::Snapshot> stage_snapshots(const InferenceBridge& bridge) {
  std::vector<Histogram::Snapshot> out(kTimedStages);
  for (std::size_t lane = 0; lane < bridge.lanes(); ++lane)
    for (std::size_t i = 0; i < kTimedStages; ++i) {
      const auto s = bridge.stream_metrics(lane).stages[i].snapshot();
      out[i].count += s.count;
      out[i].sum_s += s.sum_s;
    }
  return out;
}

}  // namespace

std::string tick_json(const MonitorTick& t, const std::vector<Histogram::Snapshot>& now,
                      const std::vector<Histogram::Snapshot>& before, std::uint32_t tracks_visible,
                      const Health& health, double gpu_memory_bytes, const WebOptions& o) {
  MonitorOptions mo;
  mo.model_device = o.model_device;
  mo.precision = o.precision;
  static const std::vector<double> none;
  std::string json = status_json(t.now, t.before, t.seconds, t.uptime_s, t.latencies_ms ? *t.latencies_ms : none, mo);
  json.pop_back();  // the closing brace: the dashboard's fields follow
  std::string stages;
  for (std::size_t i = 0; i < kTimedStages && i < now.size(); ++i) {
    const std::uint64_t n = now[i].count - (i < before.size() ? before[i].count : 0);
    const double sum = now[i].sum_s - (i < before.size() ? before[i].sum_s : 0);
    stages += fmt::format("{}\"{}\": {}", stages.empty() ? "" : ", ", timed_stage_names()[i],
                          json_number(n ? 1e3 * sum / double(n) : std::nan(""), 3));
  }
  json += ", \"stages_mean_ms\": {" + stages + "}";
  json += ", \"tracks_visible\": " + std::to_string(tracks_visible);
  json += ", \"healthy\": " + std::string(health.ok ? "true" : "false");
  json += ", \"health_reason\": " + (health.ok ? std::string("null") : json_string(health.reason));
  json += ", \"gpu_memory_mib\": " + json_number(gpu_memory_bytes >= 0 ? gpu_memory_bytes / 1048576.0 : std::nan(""), 1);
  json += ", \"version\": " + json_string(o.version);
  json += fmt::format(", \"thresholds\": {{\"amber_e2e_ms\": {}, \"red_e2e_ms\": {}, \"amber_drop_percent\": {}, "
                      "\"red_drop_percent\": {}}}",
                      json_number(o.amber_e2e_ms, 3), json_number(o.red_e2e_ms, 3), json_number(o.amber_drop_percent, 3),
                      json_number(o.red_drop_percent, 3));
  return json + "}";
}

WebMonitor::WebMonitor(InferenceBridge& bridge, WebOptions options)
    : bridge_(bridge), opt_(std::move(options)), allow_(opt_.allow),
      server_(std::make_unique<httplib::Server>()) {
  auto& s = *server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(8); };
  s.set_keep_alive_timeout(2);
  s.set_read_timeout(5, 0);
  s.set_payload_max_length(1024);  // nothing served takes a body
  // cpp-httplib's default adds SO_REUSEPORT: a second bridge would share the
  // port, each answering half the scrapes. SO_REUSEADDR only (a restart
  // rebinds at once), so a taken port is an error.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (!allow_.allows(req.remote_addr)) {
      {
        std::lock_guard<std::mutex> lock(m_);
        if (refused_logged_.size() < 64 &&
            std::find(refused_logged_.begin(), refused_logged_.end(), req.remote_addr) == refused_logged_.end()) {
          refused_logged_.push_back(req.remote_addr);
          spdlog::warn("http: {} refused: not in http.allow (said once per address)", req.remote_addr);
        }
      }
      res.status = 403;
      res.set_content("forbidden: not in http.allow\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("read-only: GET only\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(m_);
    res.status = health_.ok ? 200 : 503;
    res.set_content(health_.json + "\n", "application/json");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; "
                                              "style-src 'unsafe-inline' 'self'; img-src 'self'");
    res.set_content(dashboard_html(), "text/html; charset=utf-8");
  });
  s.Get("/api/summary", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(m_);
    res.set_content(last_tick_ + "\n", "application/json");
  });
  s.Get("/overlay.png", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(m_);
    if (png_.empty()) {
      res.status = 404;
      res.set_content("no picture yet: it comes with the frames while a dashboard is open\n", "text/plain");
      return;
    }
    res.set_content(reinterpret_cast<const char*>(png_.data()), png_.size(), "image/png");
  });
  s.Get("/events", [this](const httplib::Request&, httplib::Response& res) {
    if (event_clients_.fetch_add(1) >= opt_.max_event_clients) {
      event_clients_.fetch_sub(1);
      res.status = 503;
      res.set_content(fmt::format("{} event streams open already: close a dashboard\n", opt_.max_event_clients),
                      "text/plain");
      return;
    }
    // First the history (the last minutes' ticks, so a page opened now shows
    // them at once) and the latest picture; then what comes.
    auto last = std::make_shared<std::uint64_t>(0);
    auto first = std::make_shared<std::string>();
    {
      std::lock_guard<std::mutex> lock(m_);
      *last = seq_;
      for (const auto& json : history_) *first += "event: tick\ndata: " + json + "\n\n";
      if (!last_overlay_.empty()) *first += last_overlay_;
    }
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, last, first](std::size_t, httplib::DataSink& sink) {
          std::string out;
          bool open = true;
          if (!first->empty()) {
            out.swap(*first);
            return sink.write(out.data(), out.size());
          }
          serve_events(*last, out, open);
          if (!open) return false;
          return out.empty() || sink.write(out.data(), out.size());
        },
        [this](bool) { event_clients_.fetch_sub(1); });
  });

  const int port = opt_.port == 0 ? s.bind_to_any_port(opt_.bind) : (s.bind_to_port(opt_.bind, opt_.port) ? opt_.port : -1);
  if (port <= 0)
    throw std::runtime_error(fmt::format("http: cannot listen on {}:{} (in use, or not an address of this machine); "
                                         "set http.port to a free port, or 0 for no monitoring endpoint",
                                         opt_.bind, opt_.port));
  port_ = static_cast<std::uint16_t>(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  spdlog::info("http: monitoring on http://{}:{}/ (/healthz, /metrics){}", opt_.bind, port_,
               allow_.empty() ? "" : ", peers limited by http.allow");
}

WebMonitor::~WebMonitor() { stop(); }

void WebMonitor::stop() {
  {
    std::lock_guard<std::mutex> lock(m_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void WebMonitor::serve_events(std::uint64_t& last_seen, std::string& out, bool& open) {
  std::unique_lock<std::mutex> lock(m_);
  cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || seq_ > last_seen; });
  if (stopping_) {
    open = false;
    return;
  }
  if (seq_ == last_seen) {
    out = ": keep-alive\n\n";  // a comment: finds a closed connection, keeps proxies from timing out
    return;
  }
  for (const auto& [seq, text] : events_)
    if (seq > last_seen) out += text;
  last_seen = seq_;
}

void WebMonitor::publish(const std::string& event, const std::string& data) {
  {
    std::lock_guard<std::mutex> lock(m_);
    events_.emplace_back(++seq_, "event: " + event + "\ndata: " + data + "\n\n");
    while (events_.size() > kKeptEvents) events_.pop_front();
    if (event == "tick") {
      history_.push_back(data);
      while (history_.size() > kHistoryTicks) history_.pop_front();
    } else if (event == "overlay") {
      last_overlay_ = events_.back().second;
    }
  }
  cv_.notify_all();
}

void WebMonitor::tick(const MonitorTick& t) {
  if (opt_.gpu_memory_bytes) {
    try {
      gpu_memory_.store(opt_.gpu_memory_bytes());
    } catch (const std::exception& e) {
      spdlog::debug("http: GPU memory: {}", e.what());
    }
  }
  const std::vector<Histogram::Snapshot> now = stage_snapshots(bridge_);
  std::uint32_t visible = 0;
  for (std::size_t lane = 0; lane < bridge_.lanes(); ++lane)
    visible += bridge_.stream_metrics(lane).tracks_visible.load(std::memory_order_relaxed);
  Health h;
  {
    std::lock_guard<std::mutex> lock(m_);
    h = health_;
  }
  std::string json = tick_json(t, now, stages_before_, visible, h, gpu_memory_.load(), opt_);
  stages_before_ = now;
  {
    std::lock_guard<std::mutex> lock(m_);
    last_tick_ = json;
  }
  publish("tick", json);
}

void WebMonitor::poll(const Health& health, Clock::time_point now) {
  {
    std::lock_guard<std::mutex> lock(m_);
    health_ = health;
  }
  healthy_.store(health.ok);
  if (opt_.overlay_fps <= 0) return;
  OverlayTap& tap = bridge_.overlay_tap();
  if (tap.take(frame_)) {
    try {
      std::vector<std::uint8_t> png = render_overlay_png(frame_);
      std::uint64_t n;
      {
        std::lock_guard<std::mutex> lock(m_);
        png_.swap(png);
        n = ++png_seq_;
      }
      pictures_.fetch_add(1);
      publish("overlay", fmt::format("{{\"picture\": {}, \"width\": {}, \"height\": {}, \"device\": {}, \"frame\": {}, "
                                     "\"timestamp\": {}}}",
                                     n, frame_.width, frame_.height, json_string(frame_.device), frame_.frame,
                                     json_number(frame_.timestamp, 6)));
    } catch (const std::exception& e) {
      spdlog::debug("http: overlay picture: {}", e.what());
    }
  }
  // Pictures only while someone watches, at overlay_fps at most.
  if (event_clients_.load() > 0 && std::chrono::duration<double>(now - last_arm_).count() >= 1.0 / opt_.overlay_fps) {
    tap.arm(opt_.overlay_width);
    last_arm_ = now;
  }
}

std::string WebMonitor::metrics_text() {
  MetricsSnapshot m;
  const InferenceStats s = bridge_.stats();
  for (std::size_t lane = 0; lane < bridge_.lanes(); ++lane) {
    const StreamMetrics& sm = bridge_.stream_metrics(lane);
    MetricsSnapshot::Stream st;
    st.name = bridge_.stream_name(lane);
    if (st.name.empty()) st.name = std::to_string(lane + 1);
    st.frames_in = bridge_.stream_frames_in(lane);
    st.dropped = bridge_.stream_dropped(lane);
    st.processed = sm.processed.load(std::memory_order_relaxed);
    st.failed = sm.failed.load(std::memory_order_relaxed);
    st.tracks_visible = sm.tracks_visible.load(std::memory_order_relaxed);
    st.e2e = sm.e2e.snapshot();
    for (std::size_t i = 0; i < kTimedStages; ++i) st.stages[i] = sm.stages[i].snapshot();
    m.streams.push_back(std::move(st));
  }
  m.messages_in = s.relay.images + s.relay.transforms + s.relay.texts;
  m.bytes_in = s.relay.bytes;
  m.malformed = s.relay.malformed;
  m.ignored = s.ignored;
  m.unsupported = s.unsupported;
  m.messages_out = s.relay.sent_messages;
  m.bytes_out = s.relay.sent_bytes;
  m.client_connects = s.relay.client_connections;
  m.client_drops = s.relay.dropped;
  m.clients = s.relay.clients;
  m.upstream_connected = s.relay.upstream_connected;
  m.upstream_connections = s.relay.upstream_connections;
  m.reloads = reloads_.load();
  m.reloads_failed = reloads_failed_.load();
  m.gpu_memory_bytes = gpu_memory_.load();
  m.uptime_s = std::chrono::duration<double>(Clock::now() - start_).count();
  m.healthy = healthy_.load();
  m.version = opt_.version;
  m.model_device = opt_.model_device;
  m.precision = opt_.precision;
  return prometheus_text(m);
}

}  // namespace igtb
