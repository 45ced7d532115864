// The inference pipeline for one upstream stream: the stages in order,
// upload -> preprocess -> detect -> match -> segment -> result (one packed
// tensor, one device-to-host copy): a frame in, its label map and tracks on
// the host out. Tensors stay on the configured device from the upload to the
// packed result. The contours of the label map are the caller's step
// (label_contours(), pipeline/contours.hpp): the bridge sends the label map
// before it makes them. Not thread-safe: one Pipeline per worker thread.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "models/detector_model.hpp"
#include "models/segmenter_model.hpp"
#include "pipeline/stages/detect.hpp"
#include "pipeline/stages/preprocess.hpp"
#include "pipeline/tracking/device_tracker.hpp"
#include "pipeline/cuda/frame_graph.hpp"
#include "pipeline/stages/result.hpp"
#include "pipeline/cuda/stream_fork.hpp"
#include "pipeline/cuda/transfer.hpp"
#include "core/buffer_pool.hpp"
#include "core/image.hpp"

namespace igtb {

struct PipelineOptions {
  std::string device = "cpu";      ///< "cpu", "cuda", "cuda:N"
  std::string precision = "fp32";  ///< "fp32", "fp16", "bf16" (model inputs and weights)
  /// One module in another precision ("" = precision): a module whose fp16
  /// parity fails runs in fp32 or bf16 while the others stay in fp16.
  std::string detector_precision, encoder_precision, decoder_precision;
  std::string detector = kDemoModelSpec;  ///< path or "demo"
  std::string encoder = kDemoModelSpec;
  std::string decoder = kDemoModelSpec;
  std::int64_t detector_input = 640;
  std::int64_t segmenter_input = 1024;
  DetectConfig detect;
  TrackParams tracker;
  /// The precision a module runs in: its override (e.g. encoder_precision), else `precision`.
  std::string precision_of(const std::string& module_override) const {
    return module_override.empty() ? precision : module_override;
  }
  /// The three modules' precisions: "fp16", or "fp16 (encoder fp32)" where one differs.
  std::string precision_label() const;
  /// On CUDA: fp32 convolutions and matrix products may use TF32 tensor
  /// cores (LibTorch's own default for convolutions). Process-wide (ATen's
  /// global context): the last Pipeline built sets it for all.
  bool tf32 = false;
  bool sync_timing = false;  ///< synchronise the device after each stage so stage times are exact (costs speed on CUDA; no graphs)
  /// On CUDA: capture each input shape's device work in a CUDA graph after
  /// two eager frames, and replay it (eager, with one warning, where capture fails).
  bool cuda_graph = true;
  /// On CUDA: run the segmenter's image encoder on a second stream beside
  /// the detector (it needs the frame, not the detections); off with sync_timing.
  bool overlap_encoder = true;
  /// On CUDA: after each successful graph capture, give the device memory the
  /// eager frames left in LibTorch's cache back to the driver (the graph keeps
  /// its own pool; costs one device synchronisation per capture).
  bool release_cached_memory = true;
  int upload_slots = 4;  ///< pinned host slots of the upload ring (CUDA), 1..64
  /// On the CPU: LibTorch's thread count, process-wide like tf32 (the last
  /// CPU Pipeline built sets it). 0 = OMP_NUM_THREADS where the environment
  /// sets it, else every core (Debian's LibTorch 1.13 starts with one).
  int cpu_threads = 0;
  /// Frames of a synthetic image run at construction and by warm_up() (then
  /// the tracker is reset): CUDA initialisation and TorchScript's profiling runs happen
  /// before the first real frame (measured on the H100: the first frames
  /// took ~0.5 s each without it, and 41 frames were dropped at 30 frames/s).
  int warmup_frames = 3;
};

/// The LibTorch thread count a CPU pipeline sets: `requested` where > 0; else
/// 0 (leave LibTorch's own, which follows the variable) where OMP_NUM_THREADS
/// is set and not empty; else `cores` (0 where unknown).
int cpu_thread_count(int requested, const char* omp_num_threads, unsigned cores);

/// The pipeline's stages, in the order a frame runs them; stage_names() is
/// the one list of their names (bench tables, KPI file, state message).
enum class Stage : std::size_t { Upload, Preprocess, Detect, Match, Segment, Result };
constexpr std::size_t kStageCount = 6;
/// "upload", "preprocess", "detect", "match", "segment", "result".
const std::array<const char*, kStageCount>& stage_names();

/// Stage times of one frame, in milliseconds.
struct StageTimes {
  std::array<double, kStageCount> ms{};
  double& operator[](Stage s) { return ms[static_cast<std::size_t>(s)]; }
  double operator[](Stage s) const { return ms[static_cast<std::size_t>(s)]; }
  double total() const;
};

struct PipelineOutput {
  FrameResult result;  ///< labels (input geometry) and every live track
  StageTimes times;
};

class Pipeline {
 public:
  /// Loads and probes the models; throws ModelError (bad model or device) or
  /// std::invalid_argument (bad option).
  explicit Pipeline(PipelineOptions options);

  /// Runs options().warmup_frames frames of a synthetic image on the calling
  /// thread, eagerly from a clean state (a CUDA graph of that size is dropped
  /// and captured again), then resets the tracker. The constructor does this;
  /// a caller that processes frames on another thread calls it there as well:
  /// LibTorch keeps some CUDA state per thread (cuDNN execution plans are
  /// cached thread_local in ATen), and a cold thread's first real frame paid
  /// for all of it (3.2 s with the real models on the H200, frames dropped).
  void warm_up();

  /// Forgets every track (another image stream comes next): the next frame
  /// starts from no tracks, ids from 1 again. Call it on the frames' thread.
  void reset_tracks();

  /// One frame. Throws std::invalid_argument for an image the pipeline
  /// cannot take (3D, subvolume, unsupported scalar type or components), or
  /// a c10::Error from a model; the tracker is unchanged by a failed frame
  /// only where the failure came before the match stage.
  PipelineOutput process(const ImageView& image);

  const PipelineOptions& options() const { return opt_; }
  const torch::Device& device() const { return device_; }
  const DetectorModel& detector() const { return detector_; }
  const SegmenterModel& segmenter() const { return segmenter_; }
  const DeviceTracker& tracker() const { return tracker_; }
  /// The mean time (ms) of the warm-up frames' last run, 0 without warm-up.
  double warmup_ms() const { return warmup_ms_; }
  /// CUDA graphs captured and replayed so far (0 on the CPU or with cuda_graph off).
  std::uint64_t graph_captures() const { return graph_ ? graph_->captures() : 0; }
  std::uint64_t graph_replays() const { return graph_ ? graph_->replays() : 0; }
  /// Why the last capture failed ("" when none did).
  const std::string& graph_failure() const { return graph_failure_; }
  /// Uploads that waited for their ring slot's previous copy (CUDA).
  std::uint64_t upload_waits() const { return ring_ ? ring_->waits() : 0; }
  /// Uploads straight from page-locked pixels, e.g. a message received into
  /// input_buffers() (CUDA); the others went through a ring slot.
  std::uint64_t direct_uploads() const { return ring_ ? ring_->direct() : 0; }
  /// Page-locked buffers (options().upload_slots of them) for the upstream
  /// reader to receive IMAGEs into (ReaderOptions::buffer): a frame viewed
  /// in one (view_image) is copied to the device with no host copy first.
  /// Null on the CPU, where there is nothing to gain.
  const std::shared_ptr<BufferPool>& input_buffers() const { return input_buffers_; }

 private:
  class Laps;
  /// preprocess .. segment on the uploaded [H, W, C] frame: the packed
  /// result (track block, then the label map) on the device.
  torch::Tensor run_stages(const torch::Tensor& hwc, Laps& laps);
  /// The CUDA frame: upload through the ring, stages eager or replayed,
  /// one copy of the packed result into pinned memory, wait. Returns its bytes.
  std::size_t process_cuda(const ImageView& image, Laps& laps);
  /// process_cuda after the upload: the stages (eager, captured or
  /// replayed), the result's copy, the wait. Returns its bytes.
  std::size_t run_cuda(const torch::Tensor& host, Laps& laps);

  PipelineOptions opt_;
  torch::Device device_;
  torch::ScalarType det_dtype_, enc_dtype_, dec_dtype_;
  DetectorModel detector_;
  SegmenterModel segmenter_;
  DeviceTracker tracker_;
  SamNormalization sam_norm_;  ///< the segmenter's constants, made once on the device
  double warmup_ms_ = 0;
  // CUDA only:
  std::unique_ptr<OwnedStream> stream_;  ///< this pipeline's own compute stream
  std::unique_ptr<UploadRing> ring_;
  std::shared_ptr<BufferPool> input_buffers_;
  std::unique_ptr<FrameGraph> graph_;  ///< null with cuda_graph off or sync_timing on
  std::unique_ptr<StreamFork> fork_;   ///< the encoder's branch; null with overlap_encoder off or sync_timing on
  PinnedResult result_;                ///< the packed result's one copy lands here
  torch::Tensor frame_;                ///< the uploaded frame [H, W, C]; its shape keys the graph
  torch::Tensor packed_;               ///< the last packed result (in the graph's pool when captured)
  int eager_at_shape_ = 0;             ///< eager frames since the shape changed
  bool graph_failed_ = false;          ///< capture failed for this shape: eager until it changes
  std::string graph_failure_;
};

}  // namespace igtb
