// The daemon with the pipeline on (pipeline.enabled: true): the relay's
// sockets, a one-slot mailbox between the upstream reader and one pipeline
// worker (latest frame wins, drops counted), and per processed frame three
// messages to every client: the label map IMAGE (the input's exact geometry
// and timestamp), the contour POLYDATA and the state STRING (JSON), plus a
// KPI line. TRANSFORMs, and IMAGEs when forward_images, go on unchanged.
#pragma once

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/frame_report.hpp"
#include "bridge/latest_slot.hpp"
#include "bridge/relay.hpp"
#include "bridge/session_recorder.hpp"
#include "pipeline/pipeline.hpp"

namespace igtb {

struct InferenceOptions {
  RelayOptions relay;
  std::string mask_device = "BoneMask";
  std::string contour_device = "BoneContour";
  std::string state_device = "BoneMaskState";
  std::string kpi_path;  ///< "" = no KPI file
  RecorderOptions record;  ///< record.dir "" = no recording
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
};

class InferenceBridge {
 public:
  /// Opens the KPI file (throws std::runtime_error naming it). The pipeline
  /// (models loaded and probed) comes in ready, so a bad model fails before
  /// any socket opens.
  InferenceBridge(InferenceOptions options, std::unique_ptr<Pipeline> pipeline);
  ~InferenceBridge();
  /// Starts the worker (on CUDA it first warms the pipeline up on its own
  /// thread; an error there is thrown here) and then the sockets.
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

 private:
  struct Pending {
    Message message;
    std::chrono::steady_clock::time_point received;
  };
  void run();
  void process(Pending& p);
  void log_failure(const std::string& error);

  InferenceOptions opt_;
  std::unique_ptr<Pipeline> pipeline_;
  Relay relay_;
  LatestSlot<Pending> slot_;
  std::thread worker_;
  std::ofstream kpi_;
  std::unique_ptr<SessionRecorder> recorder_;
  std::atomic<std::uint64_t> processed_{0}, failed_{0};
  std::mutex latencies_m_;
  std::vector<double> latencies_;
  std::string last_error_;
  std::chrono::steady_clock::time_point last_error_log_{};
  std::uint64_t errors_unlogged_ = 0;
  /// IMAGEs received into plain buffers for their size or a page-locking failure.
  std::atomic<std::uint64_t> not_page_locked_{0};
  std::atomic<bool> buffers_failed_{false};  ///< page-locking failed once: no more tries
  /// Larger IMAGEs are not received into page-locked buffers.
  static constexpr std::size_t kMaxPageLockedMessage = 16u << 20;  // a 2048x2048 RGBA frame
  bool stopped_ = false;
};

/// One line for the periodic log: rates over `seconds` since `before`, and
/// percentiles of the latencies of that interval.
std::string inference_summary(const InferenceStats& now, const InferenceStats& before, double seconds,
                              const std::vector<double>& latencies_ms);

}  // namespace igtb
