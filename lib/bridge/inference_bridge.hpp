// The daemon with the pipeline on (pipeline.enabled: true): the relay's
// sockets, a one-slot mailbox between the upstream reader and one pipeline
// worker (latest frame wins, drops counted), and per processed frame three
// messages to every client: the label map IMAGE (the input's exact geometry
// and timestamp), the contour POLYDATA and the state STRING (JSON), plus a
// KPI line. TRANSFORMs, and IMAGEs when forward_images, go on unchanged.
//
// Several image streams (two probes behind one PlusServer, each its own IMAGE
// device): one lane per IMAGE device, each with its own pipeline (tracker,
// CUDA streams, upload ring, page-locked buffers), mailbox and worker thread,
// so one stream's frames never enter another's tracker and a slow stream does
// not hold up the other. With one pipeline and one device listed it takes
// that device; with none listed it takes the first IMAGE device that comes,
// ignores the others (one warning each, counted) and moves to another device
// only after its own has been silent for rebind_after_s (a PlusServer
// restarted with other names), with its tracks forgotten.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bridge/frame_report.hpp"
#include "bridge/latest_slot.hpp"
#include "bridge/metrics.hpp"
#include "bridge/overlay.hpp"
#include "bridge/relay.hpp"
#include "bridge/session_recorder.hpp"
#include "core/rate_limited_log.hpp"
#include "pipeline/pipeline.hpp"

namespace igtb {

struct InferenceOptions {
  RelayOptions relay;
  std::string mask_device = "BoneMask";
  std::string contour_device = "BoneContour";
  std::string state_device = "BoneMaskState";
  /// The segment shape's foreground probability IMAGE ("" = not sent; the
  /// pipelines must keep it: SemanticOptions::keep_probability).
  std::string probability_device;
  std::string kpi_path;  ///< "" = no KPI file
  RecorderOptions record;  ///< record.dir "" = no recording
  /// One pipeline, no IMAGE device listed: seconds its device must be silent
  /// before another device's frames take the pipeline over.
  double rebind_after_s = 2.0;
};

struct InferenceStats {
  RelayStats relay;
  std::uint64_t frames_in = 0;   ///< IMAGEs handed to the pipeline
  std::uint64_t processed = 0;   ///< frames whose outputs went out (failed ones included)
  std::uint64_t failed = 0;
  std::uint64_t dropped = 0;     ///< replaced in the mailbox while the pipeline was busy
  /// CUDA: IMAGEs received straight into the pipeline's page-locked buffers,
  /// and those received into plain buffers (every page-locked one in use, a
  /// page-locking failure, or over 16 MiB): the upload copies those once more.
  std::uint64_t page_locked = 0, not_page_locked = 0;
  /// IMAGEs of a device no pipeline takes (one pipeline, a second IMAGE device).
  std::uint64_t ignored = 0;
  /// IMAGEs the pipeline cannot take (a 3D volume, 2 components, uint16...):
  /// forwarded (with output.forward_images) but not segmented.
  std::uint64_t unsupported = 0;
};

class InferenceBridge {
 public:
  /// Opens the KPI file (throws std::runtime_error naming it). The pipeline
  /// (models loaded and probed) comes in ready, so a bad model fails before
  /// any socket opens.
  InferenceBridge(InferenceOptions options, std::unique_ptr<Pipeline> pipeline);
  /// One pipeline per IMAGE device of options.relay.image_devices, in that
  /// order (as many pipelines as devices; std::invalid_argument otherwise).
  /// With two or more, lane N's (from 1, in list order) outputs are
  /// <mask_device>_N, <contour_device>_N and <state_device>_N (and <probability_device>_N)
  /// (lane_output_name); each frame's state JSON names its input device.
  /// The names are trusted: the configuration checked them
  /// (lane_names_problem: no device twice, every name within 20 characters).
  InferenceBridge(InferenceOptions options, std::vector<std::unique_ptr<Pipeline>> pipelines);
  ~InferenceBridge();
  InferenceBridge(const InferenceBridge&) = delete;
  InferenceBridge& operator=(const InferenceBridge&) = delete;
  /// Starts the workers (on CUDA each first warms its pipeline up on its own
  /// thread; an error there is thrown here) and then the sockets. Once only
  /// (std::logic_error after a start or a stop).
  void start();
  /// Stops the sockets, finishes the frame in hand, flushes the KPI file.
  void stop();

  std::uint16_t output_port() const { return relay_.output_port(); }
  std::uint16_t input_port() const { return relay_.input_port(); }
  std::string upstream_name() const { return relay_.upstream_name(); }
  InferenceStats stats() const;
  /// The session recorder, or nullptr when not recording.
  const SessionRecorder* recorder() const { return recorder_.get(); }
  /// One STRING message (`text`, UTF-8) to every client, in both header versions.
  void send_text(const std::string& device, const std::string& text);
  /// End-to-end latencies (ms) of the frames processed since the last call.
  std::vector<double> take_latencies();

  /// New pipelines for the running lanes (a reload: new models or settings),
  /// one per lane in lane order, built and warmed up by the caller while the
  /// running ones go on. Each lane's worker swaps its new pipeline in before
  /// its next frame (on CUDA it warms it up on its own thread first: that
  /// frame waits), and the old one goes. The new ones start with no tracks.
  /// The sockets, clients and queued frames are untouched. Throws
  /// std::invalid_argument for another count, shape (pipeline.kind) or device.
  void replace_pipelines(std::vector<std::unique_ptr<Pipeline>> next);
  /// Pipelines swapped in so far, over all lanes.
  std::uint64_t swaps() const { return swaps_.load(); }

  /// How many lanes (pipelines) the bridge runs.
  std::size_t lanes() const { return lanes_.size(); }
  /// Where lane `lane`'s models run ("cpu", "cuda:0").
  std::string model_device(std::size_t lane = 0) const;
  /// Lane i's output device names: label map, contours, state.
  std::array<std::string, 3> output_devices(std::size_t lane) const;

  /// Lane i's histograms and gauges (written by its worker, read by the
  /// monitoring endpoint).
  const StreamMetrics& stream_metrics(std::size_t lane) const;
  /// Lane i's IMAGE device ("" while the one unbound lane waits for its first frame).
  std::string stream_name(std::size_t lane) const;
  /// Lane i's frames handed in and dropped busy (the mailbox's counts).
  std::uint64_t stream_frames_in(std::size_t lane) const;
  std::uint64_t stream_dropped(std::size_t lane) const;
  /// The longest any worker has now been on its frame in hand (0: all idle).
  double longest_busy_s(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;
  /// Where the workers put a downscaled copy of a processed frame when it is
  /// armed (the dashboard's picture; nothing while nobody arms it).
  OverlayTap& overlay_tap() { return overlay_; }

 private:
  struct Pending {
    Message message;
    std::chrono::steady_clock::time_point received;
  };
  struct Lane;
  /// The image sink's lane for a received IMAGE of `device`, or nullptr
  /// (ignored: warned once per device). One lane: binds it (see above).
  Lane* lane_for(const std::string& device);
  struct Frame;
  /// One frame: decode -> infer -> publish_label_map (e2e ends) -> publish_probability -> publish_contours
  /// -> report.
  void process(Lane& lane, Pending& p);
  void decode(Lane& lane, Frame& f);             ///< the IMAGE viewed in its message (tracks reset on a new stream)
  void infer(Lane& lane, Frame& f);              ///< the pipeline: label map and tracks on the host
  void publish_label_map(Lane& lane, Frame& f);  ///< encoded for the clients' versions, sent, recorded
  void publish_probability(Lane& lane, Frame& f);  ///< the segment shape's probability IMAGE; a failure costs only it
  void publish_contours(Lane& lane, Frame& f);   ///< label_contours, encoded, sent; a failure costs only them
  void report(Lane& lane, Frame& f);             ///< state STRING, KPI line, e2e latency
  void swap_if_due(Lane& lane);                  ///< the worker takes a replacement pipeline in
  void log_failure(const std::string& error);
  void log_failure_counts(const std::vector<RateLimitedLog::Suppressed>& counts);
  /// One warning per device and reason for IMAGEs the pipeline cannot take.
  void warn_unsupported(const std::string& device, const std::string& why);

  InferenceOptions opt_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  Relay relay_;
  std::ofstream kpi_;
  std::mutex kpi_m_;  ///< the workers' KPI lines
  std::unique_ptr<SessionRecorder> recorder_;
  std::atomic<std::uint64_t> processed_{0}, failed_{0}, ignored_{0}, unsupported_{0}, swaps_{0};
  bool volumes_ = false;  ///< the lanes' shape takes 3D volumes (pipeline.kind segment); fixed for the run
  mutable std::mutex bind_m_;  ///< the one lane's binding and the ignored devices (reader threads)
  std::set<std::string> ignored_devices_;  ///< warned about (at most kMaxIgnoredNames)
  RateLimitedLog unsupported_warned_;  ///< device + reason warned about (bounded, thread-safe)
  std::chrono::steady_clock::time_point bound_seen_{};  ///< one lane: its device's last IMAGE
  static constexpr std::size_t kMaxIgnoredNames = 64;
  std::mutex latencies_m_;
  std::vector<double> latencies_;
  /// Failed frames by reason: the first of each logged in full, repeats
  /// summed up at most every 5 s (and at stop), never a line per frame.
  RateLimitedLog failures_{std::chrono::seconds(5)};
  /// IMAGEs received into plain buffers for their size or a page-locking failure.
  std::atomic<std::uint64_t> not_page_locked_{0};
  std::atomic<bool> buffers_failed_{false};  ///< page-locking failed once: no more tries
  /// Larger IMAGEs are not received into page-locked buffers.
  static constexpr std::size_t kMaxPageLockedMessage = 16u << 20;  // a 2048x2048 RGBA frame
  OverlayTap overlay_;
  bool started_ = false, stopped_ = false;
};

/// One line for the periodic log: rates over `seconds` since `before`, and
/// percentiles of the latencies of that interval.
std::string inference_summary(const InferenceStats& now, const InferenceStats& before, double seconds,
                              const std::vector<double>& latencies_ms);

}  // namespace igtb
