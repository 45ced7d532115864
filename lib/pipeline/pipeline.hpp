// The inference pipeline for one upstream stream: the stages in order,
// upload -> preprocess -> detect -> match -> segment -> result (one packed
// tensor, one device-to-host copy) -> contours on the host. Tensors stay on
// the configured device from the upload to the packed result. Not
// thread-safe: one Pipeline per worker thread.
#pragma once

#include <array>
#include <string>

#include "core/polydata.hpp"
#include "models/detector_model.hpp"
#include "models/segmenter_model.hpp"
#include "pipeline/detect.hpp"
#include "pipeline/preprocess.hpp"
#include "pipeline/device_tracker.hpp"
#include "pipeline/result.hpp"
#include "pipeline/tracker.hpp"
#include "transport/image_codec.hpp"

namespace igtb {

struct PipelineOptions {
  std::string device = "cpu";      ///< "cpu", "cuda", "cuda:N"
  std::string precision = "fp32";  ///< "fp32", "fp16", "bf16" (model inputs and weights)
  std::string detector = kDemoModelSpec;  ///< path or "demo"
  std::string encoder = kDemoModelSpec;
  std::string decoder = kDemoModelSpec;
  std::int64_t detector_input = 640;
  std::int64_t segmenter_input = 1024;
  DetectConfig detect;
  TrackerConfig tracker;
  bool sync_timing = false;  ///< synchronise the device after each stage so stage times are exact (costs speed on CUDA)
  /// Frames of a synthetic image run at construction (then the tracker is
  /// reset): CUDA initialisation and TorchScript's profiling runs happen
  /// before the first real frame (measured on the H100: the first frames
  /// took ~0.5 s each without it, and 41 frames were dropped at 30 frames/s).
  int warmup_frames = 3;
};

/// Stage times of one frame, in milliseconds.
struct StageTimes {
  static constexpr std::size_t kCount = 7;
  static const std::array<const char*, kCount>& names();  ///< "upload", "preprocess", ...
  std::array<double, kCount> ms{};
  double total() const;
};

struct PipelineOutput {
  FrameResult result;  ///< labels (input geometry) and every live track
  PolyData contours;   ///< closed loops in the IMAGE's physical frame, per-cell "label"
  StageTimes times;
};

class Pipeline {
 public:
  /// Loads and probes the models; throws ModelError (bad model or device) or
  /// std::invalid_argument (bad option).
  explicit Pipeline(PipelineOptions options);

  /// One frame. Throws std::invalid_argument for an image the pipeline
  /// cannot take (3D, subvolume, unsupported scalar type or components), or
  /// a c10::Error from a model; the tracker is unchanged by a failed frame
  /// only where the failure came before the match stage.
  PipelineOutput process(const Image& image);

  const PipelineOptions& options() const { return opt_; }
  const torch::Device& device() const { return device_; }
  const DetectorModel& detector() const { return detector_; }
  const SegmenterModel& segmenter() const { return segmenter_; }
  const DeviceTracker& tracker() const { return tracker_; }
  /// The mean time (ms) of the warm-up frames' last run, 0 without warm-up.
  double warmup_ms() const { return warmup_ms_; }

 private:
  PipelineOptions opt_;
  torch::Device device_;
  torch::ScalarType dtype_;
  DetectorModel detector_;
  SegmenterModel segmenter_;
  DeviceTracker tracker_;
  SamNormalization sam_norm_;  ///< the segmenter's constants, made once on the device
  torch::Tensor host_;  ///< pinned host buffer the packed result is copied into (CUDA)
  double warmup_ms_ = 0;
};

}  // namespace igtb
