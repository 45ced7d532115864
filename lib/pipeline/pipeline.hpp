// The inference pipeline for one upstream stream, in one of two shapes
// (PipelineKind): a frame in, its label map and tracks on the host out.
//  - detect_segment: upload -> preprocess -> detect -> match -> segment ->
//    result (one packed tensor, one device-to-host copy);
//  - segment (a semantic segmentation network, aigt's kind): upload ->
//    preprocess -> segment (network, class map and foreground probability)
//    -> result (one copy) -> match on the host (connected regions as
//    objects, stages/components.hpp; the same tracker, per class). Tensors stay on the configured device from the upload to the
// packed result. The contours of the label map are the caller's step
// (label_contours(), pipeline/stages/contours.hpp): the bridge sends the label map
// before it makes them. Not thread-safe: one Pipeline per worker thread.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "core/buffer_pool.hpp"
#include "core/image.hpp"
#include "core/track_params.hpp"
#include "models/detector_model.hpp"
#include "models/segmenter_model.hpp"
#include "models/semantic_model.hpp"
#include "pipeline/cuda/frame_graph.hpp"
#include "pipeline/stages/detect.hpp"
#include "pipeline/stages/result.hpp"
#include "pipeline/stages/semantic.hpp"

namespace igtb {

class DeviceTracker;

/// The pipeline's shape (pipeline.kind).
enum class PipelineKind {
  DetectSegment,  ///< a D-FINE-style detector, the tracker, a MobileSAM-style box-prompted segmenter
  Segment,        ///< a semantic segmentation network; objects are its connected regions
};
/// "detect_segment" | "segment"; throws std::invalid_argument otherwise.
PipelineKind parse_pipeline_kind(const std::string& name);
const char* pipeline_kind_name(PipelineKind kind);

/// The segment shape's settings.
struct SemanticOptions {
  std::string model = kDemoModelSpec;  ///< path or "demo"
  SemanticSettings settings;           ///< input size and channels where the model's config.json does not say them
  Normalization normalization = Normalization::None;
  SemanticMapsOptions maps;
  std::int64_t min_area = 20;     ///< a region of fewer pixels is no object (it stays in the class map)
  bool track_labels = false;      ///< the label map carries VISIBLE tracks' ids, not classes
  bool keep_probability = false;  ///< FrameResult::probability filled
};

struct PipelineOptions {
  PipelineKind kind = PipelineKind::DetectSegment;
  SemanticOptions semantic;  ///< kind Segment only
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
  /// The models, for tables and logs: "detector D, segmenter E + D" or
  /// "segmentation M (pipeline.kind segment)".
  std::string models_label() const;
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
  /// On CUDA: the pipeline's own stream (upload, detector, tracker, the
  /// segmenter's decoder, the copy back: the frame's critical path) at the
  /// device's greatest stream priority; the encoder's side stream stays at
  /// normal priority, so its kernels fill the SMs the critical path leaves
  /// (H100, 2026-12-07: 3.85 -> 3.73 ms a frame back to back).
  bool high_priority = true;
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
  /// the tracker is reset): CUDA initialisation and TorchScript's profiling
  /// runs happen before the first real frame, not during the first frames.
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
  /// With Pipeline::time_replays on, a frame whose CUDA graph replayed:
  /// the launch call's host time and the graph's time on the GPU.
  std::optional<ReplayTimes> replay;
};

/// What a pipeline has done beside its frames' results.
struct PipelineCounters {
  double warmup_ms = 0;  ///< the mean time (ms) of the warm-up frames' last run, 0 without warm-up
  /// CUDA graphs captured and replayed so far (0 on the CPU or with cuda_graph off).
  std::uint64_t graph_captures = 0, graph_replays = 0;
  std::string graph_failure;         ///< why the last capture failed ("" when none did)
  std::uint64_t upload_waits = 0;    ///< uploads that waited for their ring slot's previous copy (CUDA)
  /// Uploads straight from page-locked pixels, e.g. a message received into
  /// input_buffers() (CUDA); the others went through a ring slot.
  std::uint64_t direct_uploads = 0;
};

class Pipeline {
 public:
  /// Loads and probes the models; throws ModelError (bad model or device) or
  /// std::invalid_argument (bad option).
  explicit Pipeline(PipelineOptions options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Runs options().warmup_frames frames of a synthetic image on the calling
  /// thread, eagerly from a clean state (a CUDA graph of that size is dropped
  /// and captured again), then resets the tracker. The constructor does this;
  /// a caller that processes frames on another thread calls it there as well:
  /// LibTorch keeps some CUDA state per thread (cuDNN execution plans are
  /// cached thread_local in ATen), and a cold thread's first real frame pays
  /// for all of it.
  void warm_up();

  /// On: each frame that replays its CUDA graph replays it between two
  /// timing events and reports PipelineOutput::replay (one more wait, for
  /// the end event, after the frame's own). Off by default; nothing on the CPU.
  void time_replays(bool on);

  /// Forgets every track (another image stream comes next): the next frame
  /// starts from no tracks, ids from 1 again. Call it on the frames' thread.
  void reset_tracks();

  /// One frame. Throws std::invalid_argument for an image the pipeline
  /// cannot take (3D, subvolume, unsupported scalar type or components), or
  /// a c10::Error from a model; the tracker is unchanged by a failed frame
  /// only where the failure came before the match stage. In the segment
  /// shape the stage times fall in upload, preprocess, segment, result and
  /// match (detect stays 0; match runs last, on the host), and a 3D volume
  /// is segmented slice by slice in one batch (one model call where the
  /// model takes a batch, else one per slice), its result a label volume
  /// with per-class voxel counts and no tracks.
  PipelineOutput process(const ImageView& image);

  /// Why this pipeline cannot take an image of this shape and type ("" if
  /// it can): pipeline_input_problem, 3D volumes allowed in the segment shape.
  std::string input_problem(const ImageInfo& info) const;

  const PipelineOptions& options() const;
  const torch::Device& device() const;
  /// The detect_segment shape's models and tracker; std::logic_error in the segment shape.
  const DetectorModel& detector() const;
  const SegmenterModel& segmenter() const;
  const DeviceTracker& tracker() const;
  /// The segment shape's model; std::logic_error in the detect_segment shape.
  const SemanticModel& semantic() const;
  PipelineCounters counters() const;
  /// Page-locked buffers (options().upload_slots of them) for the upstream
  /// reader to receive IMAGEs into (ReaderOptions::buffer): a frame viewed
  /// in one (view_image) is copied to the device with no host copy first.
  /// Null on the CPU, where there is nothing to gain.
  const std::shared_ptr<BufferPool>& input_buffers() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace igtb
