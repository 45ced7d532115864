#include "bridge/metrics.hpp"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <cstring>

namespace igtb {

void Histogram::observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // NaN or a clock step backwards: the first bucket, still counted
  std::size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  for (std::size_t i = 0; i < buckets_.size(); ++i) s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  s.count = count_.load(std::memory_order_relaxed);
  s.sum_s = double(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  return s;
}

const std::array<const char*, kTimedStages>& timed_stage_names() {
  static const std::array<const char*, kTimedStages> names = [] {
    std::array<const char*, kTimedStages> n{};
    n[0] = "decode";
    for (std::size_t i = 0; i < kStageCount; ++i) n[1 + i] = stage_names()[i];
    n[kStageCount + 1] = "contours";
    n[kStageCount + 2] = "encode";
    return n;
  }();
  return names;
}

void StreamMetrics::observe(double e2e_ms, const std::vector<std::pair<std::string, double>>& stages_ms,
                            std::uint32_t visible_tracks) {
  e2e.observe(e2e_ms * 1e-3);
  const auto& names = timed_stage_names();
  for (const auto& [name, ms] : stages_ms)
    for (std::size_t i = 0; i < kTimedStages; ++i)
      if (name == names[i]) {
        stages[i].observe(ms * 1e-3);
        break;
      }
  tracks_visible.store(visible_tracks, std::memory_order_relaxed);
}

void StreamMetrics::begin_frame(std::chrono::steady_clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  busy_since_ns.store(ns == 0 ? 1 : ns, std::memory_order_relaxed);
}

double StreamMetrics::busy_for_s(std::chrono::steady_clock::time_point now) const {
  const std::int64_t since = busy_since_ns.load(std::memory_order_relaxed);
  if (since == 0) return 0;
  const auto n = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  return n > since ? double(n - since) * 1e-9 : 0.0;
}

std::string prometheus_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

/// A sample value: integers as such, others with enough digits, +Inf/NaN spelled as Prometheus does.
std::string value_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.9g}", v);
}

class Writer {
 public:
  /// # HELP and # TYPE once per family.
  void family(const char* name, const char* type, const char* help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    out_ += name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += " " + value_text(v) + "\n";
  }
  void histogram(const std::string& name, const std::string& labels, const Histogram::Snapshot& h) {
    const std::string sep = labels.empty() ? "" : labels + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      sample(name + "_bucket", sep + fmt::format("le=\"{}\"", value_text(kLatencyBuckets[i])), double(cumulative));
    }
    cumulative += h.buckets.back();
    // The +Inf bucket and _count agree even where a frame was observed between the loads.
    sample(name + "_bucket", sep + "le=\"+Inf\"", double(cumulative));
    sample(name + "_sum", labels, h.sum_s);
    sample(name + "_count", labels, double(cumulative));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string prometheus_text(const MetricsSnapshot& m) {
  Writer w;
  const bool several = m.streams.size() > 1;
  auto stream_label = [&](const MetricsSnapshot::Stream& s) {
    return several ? "stream=\"" + prometheus_label(s.name) + "\"" : std::string();
  };
  auto per_stream = [&](const char* name, const char* type, const char* help, auto value) {
    w.family(name, type, help);
    for (const auto& s : m.streams) w.sample(name, stream_label(s), double(value(s)));
  };

  w.family("igtbridge_build_info", "gauge", "Always 1; the version, the models' device and precision as labels.");
  w.sample("igtbridge_build_info",
           fmt::format("version=\"{}\",model_device=\"{}\",precision=\"{}\"", prometheus_label(m.version),
                       prometheus_label(m.model_device), prometheus_label(m.precision)),
           1);
  w.family("igtbridge_up", "gauge", "1 while /healthz answers 200 (healthy), 0 while it answers 503.");
  w.sample("igtbridge_up", "", m.healthy ? 1 : 0);
  w.family("igtbridge_uptime_seconds", "gauge", "Seconds since the bridge started serving.");
  w.sample("igtbridge_uptime_seconds", "", m.uptime_s);

  per_stream("igtbridge_frames_received_total", "counter", "IMAGE frames handed to the pipeline.",
             [](const auto& s) { return s.frames_in; });
  per_stream("igtbridge_frames_processed_total", "counter",
             "Frames whose outputs went out (failed frames included).", [](const auto& s) { return s.processed; });
  per_stream("igtbridge_frames_dropped_total", "counter",
             "Frames replaced by a newer one while the pipeline was busy (latest frame wins).",
             [](const auto& s) { return s.dropped; });
  per_stream("igtbridge_frames_failed_total", "counter", "Frames the pipeline failed on (an error per reason is logged).",
             [](const auto& s) { return s.failed; });
  per_stream("igtbridge_tracks_visible", "gauge", "VISIBLE tracks in the stream's last processed frame.",
             [](const auto& s) { return s.tracks_visible; });

  w.family("igtbridge_e2e_latency_seconds", "histogram",
           "From the IMAGE read off the socket to its label map queued for every client.");
  for (const auto& s : m.streams) w.histogram("igtbridge_e2e_latency_seconds", stream_label(s), s.e2e);
  w.family("igtbridge_stage_latency_seconds", "histogram",
           "Time of each stage of a frame (decode, upload, preprocess, detect, match, segment, result, contours, "
           "encode).");
  for (const auto& s : m.streams)
    for (std::size_t i = 0; i < kTimedStages; ++i) {
      const std::string sl = stream_label(s);
      w.histogram("igtbridge_stage_latency_seconds",
                  (sl.empty() ? "" : sl + ",") + "stage=\"" + timed_stage_names()[i] + "\"", s.stages[i]);
    }

  auto one = [&](const char* name, const char* type, const char* help, double v) {
    w.family(name, type, help);
    w.sample(name, "", v);
  };
  one("igtbridge_messages_received_total", "counter",
      "Messages accepted from upstream (IMAGE, TRANSFORM, STATUS, STRING).", double(m.messages_in));
  one("igtbridge_received_bytes_total", "counter", "Bytes of the messages accepted from upstream.", double(m.bytes_in));
  one("igtbridge_messages_malformed_total", "counter", "Upstream messages dropped as malformed.", double(m.malformed));
  one("igtbridge_images_ignored_total", "counter", "IMAGEs of a device no pipeline takes.", double(m.ignored));
  one("igtbridge_images_unsupported_total", "counter",
      "IMAGEs the pipeline cannot take (forwarded unsegmented).", double(m.unsupported));
  one("igtbridge_messages_sent_total", "counter", "Messages sent to clients, summed over clients.",
      double(m.messages_out));
  one("igtbridge_sent_bytes_total", "counter", "Bytes sent to clients, summed over clients.", double(m.bytes_out));
  one("igtbridge_client_connections_total", "counter", "Clients accepted since the start.", double(m.client_connects));
  one("igtbridge_client_dropped_messages_total", "counter",
      "Messages dropped from slow clients' send queues.", double(m.client_drops));
  one("igtbridge_clients", "gauge", "Clients connected now.", double(m.clients));
  one("igtbridge_upstream_connected", "gauge", "1 while the upstream (PlusServer) connection is up.",
      m.upstream_connected ? 1 : 0);
  one("igtbridge_upstream_connections_total", "counter",
      "Upstream connections made: the first, then one per reconnect.", double(m.upstream_connections));
  one("igtbridge_reloads_total", "counter", "Reloads of the configuration and models (SIGHUP, --watch-config).",
      double(m.reloads));
  one("igtbridge_reloads_failed_total", "counter", "Reloads that kept the running models.", double(m.reloads_failed));
  if (m.gpu_memory_bytes >= 0)
    one("igtbridge_gpu_memory_bytes", "gauge", "Device memory the bridge's process holds on its GPU.",
        m.gpu_memory_bytes);
  return w.take();
}

}  // namespace igtb
