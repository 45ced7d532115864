// One CUDA graph of a frame's device work: captured once (for one input
// shape) on a side stream, then replayed on the current stream, where each
// launch costs one call instead of the ~hundreds of kernel launches of the
// eager frame. Capture runs nothing: the caller replays right after a
// successful capture. A failed capture (work that syncs with the host or
// allocates outside the graph's pool) leaves no capture open and no graph;
// the caller runs the frame eagerly instead.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

namespace igtb {

/// One replay's times, without a profiler (FrameGraph::replay_timed).
struct ReplayTimes {
  double launch_ms = 0;  ///< host: the launch call itself
  double gpu_ms = 0;     ///< device: from where the graph starts on its stream to where its last node ends (CUDA events)
};

class FrameGraph {
 public:
  /// Whether this build can capture graphs (LibTorch with CUDA and our kernels).
  static bool available();

  explicit FrameGraph(const torch::Device& device);
  ~FrameGraph();
  FrameGraph(const FrameGraph&) = delete;
  FrameGraph& operator=(const FrameGraph&) = delete;

  /// Captures `work` (device work queued on the current stream, which is the
  /// capture stream while it runs). Returns false with `why` set when the
  /// capture failed; `work`'s tensors allocated during capture live in the
  /// graph's memory pool until reset().
  bool capture(const std::function<void()>& work, std::string* why);
  /// Launches the captured work on the current stream. Requires ready().
  void replay();
  /// replay() between two timing events on the current stream, with the
  /// host's time of the launch call; replay_times() reads them.
  void replay_timed();
  /// The last replay_timed()'s times: waits for its end event. Throws
  /// std::logic_error when no timed replay came since the last capture.
  ReplayTimes replay_times();
  void reset();
  bool ready() const { return ready_; }
  std::uint64_t captures() const { return captures_; }
  std::uint64_t replays() const { return replays_; }

 private:
  void launch(bool timed);
  struct Impl;
  torch::Device device_;
  std::unique_ptr<Impl> impl_;
  bool ready_ = false;
  std::uint64_t captures_ = 0, replays_ = 0;
};

}  // namespace igtb
