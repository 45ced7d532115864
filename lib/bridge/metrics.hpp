// The bridge's figures for Prometheus (GET /metrics on the HTTP endpoint,
// docs/monitoring.md): per stream, histograms of the end-to-end latency and
// of each stage, and a few gauges. The worker records each frame with
// relaxed atomic adds into fixed arrays (no lock, no allocation); the
// endpoint reads snapshots and writes the text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace igtb {

/// Upper bounds (seconds) of the latency buckets, 0.5 ms .. 1 s: fine where a
/// GPU frame lies (2..10 ms), coarse up to a CPU frame (50..500 ms). +Inf is
/// implied.
constexpr std::array<double, 16> kLatencyBuckets = {0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01,
                                                    0.015,  0.025, 0.05,  0.075, 0.1,   0.25,  0.5,    1.0};

/// A Prometheus histogram with the fixed buckets above. observe() is
/// thread-safe and lock-free; a snapshot taken while frames are observed may
/// be a frame apart between its buckets and its count (Prometheus tolerates it).
class Histogram {
 public:
  struct Snapshot {
    std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};  ///< per bucket (not cumulative); last: > 1 s
    std::uint64_t count = 0;
    double sum_s = 0;
  };
  void observe(double seconds);
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0}, sum_ns_{0};
};

/// The stages a frame's report times, in this order: the bridge's decode,
/// the pipeline's stages (stage_names()), then contours and encode.
constexpr std::size_t kTimedStages = kStageCount + 3;
/// "decode", "upload", ..., "result", "contours", "encode".
const std::array<const char*, kTimedStages>& timed_stage_names();

/// One stream's (lane's) figures, written by its worker.
struct StreamMetrics {
  Histogram e2e;
  std::array<Histogram, kTimedStages> stages;
  std::atomic<std::uint32_t> tracks_visible{0};  ///< in the last processed frame
  std::atomic<std::uint64_t> processed{0}, failed{0};
  /// When the worker took up the frame in hand (steady clock, ns; 0 = idle):
  /// health's "worker stuck".
  std::atomic<std::int64_t> busy_since_ns{0};

  /// Records a processed frame that did not fail (the caller counts processed and failed): its e2e and each stage it names (by the
  /// names above; others ignored). No allocation.
  void observe(double e2e_ms, const std::vector<std::pair<std::string, double>>& stages_ms,
               std::uint32_t visible_tracks);
  void begin_frame(std::chrono::steady_clock::time_point t);
  void end_frame() { busy_since_ns.store(0, std::memory_order_relaxed); }
  /// Seconds the frame in hand has taken so far (0 when idle).
  double busy_for_s(std::chrono::steady_clock::time_point now) const;
};

/// What /metrics shows: counters and gauges of the whole bridge, and per
/// stream its own.
struct MetricsSnapshot {
  struct Stream {
    std::string name;  ///< its IMAGE device; the label stream="..." when there are several
    std::uint64_t frames_in = 0, processed = 0, dropped = 0, failed = 0;
    std::uint32_t tracks_visible = 0;
    Histogram::Snapshot e2e;
    std::array<Histogram::Snapshot, kTimedStages> stages;
  };
  std::vector<Stream> streams;
  std::uint64_t messages_in = 0;  ///< IMAGE, TRANSFORM, STATUS, STRING accepted from upstream
  std::uint64_t bytes_in = 0;
  std::uint64_t malformed = 0, ignored = 0, unsupported = 0;
  std::uint64_t messages_out = 0, bytes_out = 0;  ///< queued for the clients, summed over clients
  std::uint64_t client_connects = 0, client_drops = 0;
  std::uint64_t upstream_connections = 0;  ///< connections made (the first, then each reconnect)
  std::size_t clients = 0;
  bool upstream_connected = false;
  std::uint64_t reloads = 0, reloads_failed = 0;
  double gpu_memory_bytes = -1;  ///< < 0: not on a GPU (the gauge is left out)
  double uptime_s = 0;
  bool healthy = true;
  std::string version;
  std::string model_device, precision;
};

/// The text exposition format (version 0.0.4) of `m`: every family with its
/// # HELP and # TYPE, names igtbridge_*, latencies in seconds.
std::string prometheus_text(const MetricsSnapshot& m);

/// A label value escaped for the exposition format (\\, \", \n).
std::string prometheus_label(const std::string& value);

}  // namespace igtb
