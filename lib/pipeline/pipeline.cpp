#include "pipeline/pipeline.hpp"

#include "core/precision.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/StreamGuard.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <stdexcept>

#include "pipeline/cuda/frame_graph.hpp"
#include "pipeline/cuda/stream_fork.hpp"
#include "pipeline/cuda/transfer.hpp"
#include "pipeline/stages/components.hpp"
#include "pipeline/stages/preprocess.hpp"
#include "pipeline/stages/segment.hpp"
#include "pipeline/tracking/component_tracker.hpp"
#include "pipeline/tracking/device_tracker.hpp"

#include <spdlog/spdlog.h>

namespace igtb {
namespace {

using Clock = std::chrono::steady_clock;

/// The smallest power of two >= n (n >= 1).
std::int64_t power_of_two_at_least(std::int64_t n) {
  std::int64_t b = 1;
  while (b < n) b *= 2;
  return b;
}

/// The last non-empty line of an error text: a TorchScript error's own
/// message comes after its traceback.
std::string last_line(const std::string& text) {
  const std::size_t end = text.find_last_not_of(" \n");
  if (end == std::string::npos) return text;
  const std::size_t newline = text.find_last_of('\n', end);
  const std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
  return text.substr(begin, end + 1 - begin);
}

/// The decoder slots: checked here, before the tracker sizes its block by them.
int checked_top_k(std::int64_t top_k) {
  if (top_k < 1 || top_k > step::kMaxSide)
    throw std::invalid_argument("detect top_k must be 1.." + std::to_string(step::kMaxSide));
  return int(top_k);
}

}  // namespace

/// The pipeline's state: its models, tracker and device plumbing.
class Pipeline::Impl {
 public:
  explicit Impl(PipelineOptions options);
  void warm_up();
  void reset_tracks();
  PipelineOutput process(const ImageView& image);
  PipelineCounters counters() const;

  class Laps;
  /// preprocess .. segment on the uploaded [H, W, C] frame: the packed
  /// result on the device (detect_segment: the track block, then the label
  /// map; segment: the class map, then the foreground probability).
  torch::Tensor run_stages(const torch::Tensor& hwc, Laps& laps);
  torch::Tensor run_detect_segment(const torch::Tensor& hwc, Laps& laps);
  torch::Tensor run_semantic(const torch::Tensor& hwc, Laps& laps);
  /// The packed result's bytes for an uploaded frame of this shape.
  std::size_t packed_bytes(const torch::Tensor& host) const;
  /// The network on [D, C, S, S]: one call for the batch where the model
  /// takes it, else one per slice (decided at the first volume, said once).
  torch::Tensor run_network(const torch::Tensor& in);
  /// The packed result on the host -> the frame's result (segment: the
  /// match stage runs here, on the host).
  FrameResult finish(const std::uint8_t* bytes, std::size_t size, const ImageInfo& image, Laps& laps);
  /// The host tensor of a frame: [H, W, C] (detect_segment) or [D, H, W, C] (segment).
  torch::Tensor host_tensor(const ImageView& image) const {
    return semantic_kind() ? volume_tensor(image) : image_tensor(image);
  }
  bool semantic_kind() const { return opt_.kind == PipelineKind::Segment; }
  /// The CUDA frame: upload through the ring, stages eager or replayed,
  /// one copy of the packed result into pinned memory, wait. Returns its bytes.
  std::size_t process_cuda(const ImageView& image, Laps& laps);
  /// process_cuda after the upload: the stages (eager, captured or
  /// replayed), the result's copy, the wait. Returns its bytes.
  std::size_t run_cuda(const torch::Tensor& host, Laps& laps);

  PipelineOptions opt_;
  torch::Device device_;
  torch::ScalarType det_dtype_, enc_dtype_, dec_dtype_;
  // detect_segment:
  DetectorModel detector_;
  SegmenterModel segmenter_;
  std::optional<DeviceTracker> tracker_;
  SamNormalization sam_norm_;  ///< the segmenter's constants, made once on the device
  // segment:
  std::optional<SemanticModel> semantic_;
  std::optional<ComponentTracker> objects_;
  bool slice_by_slice_ = false;  ///< the model took no batch of slices: one call per slice
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
  bool time_replays_ = false;              ///< Pipeline::time_replays
  std::optional<ReplayTimes> last_replay_;  ///< run_cuda's, for process() to hand out
};

/// Stage times of one frame: each lap() closes a stage.
class Pipeline::Impl::Laps {
 public:
  Laps(StageTimes& t, const torch::Device& d, bool sync) : t_(t), device_(d), sync_(sync) {}
  void lap(Stage stage) {
    if (sync_ && device_.is_cuda()) torch::cuda::synchronize(device_.index());
    const auto now = Clock::now();
    t_[stage] = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
  }

 private:
  StageTimes& t_;
  torch::Device device_;
  bool sync_;
  Clock::time_point last_ = Clock::now();
};

PipelineKind parse_pipeline_kind(const std::string& name) {
  if (name == "detect_segment") return PipelineKind::DetectSegment;
  if (name == "segment") return PipelineKind::Segment;
  throw std::invalid_argument("pipeline kind must be detect_segment or segment, got \"" + name + "\"");
}

const char* pipeline_kind_name(PipelineKind kind) {
  return kind == PipelineKind::Segment ? "segment" : "detect_segment";
}

const std::array<const char*, kStageCount>& stage_names() {
  static const std::array<const char*, kStageCount> n{"upload", "preprocess", "detect", "match", "segment", "result"};
  return n;
}

std::string PipelineOptions::precision_label() const {
  std::string differ;
  const std::pair<const char*, const std::string*> roles[] = {
      {"detector", &detector_precision}, {"encoder", &encoder_precision}, {"decoder", &decoder_precision}};
  for (const auto& [role, p] : roles)
    if (precision_of(*p) != precision) differ += std::string(differ.empty() ? "" : ", ") + role + " " + *p;
  return differ.empty() ? precision : precision + " (" + differ + ")";
}

std::string PipelineOptions::models_label() const {
  if (kind == PipelineKind::Segment) return "segmentation " + semantic.model + " (pipeline.kind segment)";
  return "detector " + detector + ", segmenter " + encoder + " + " + decoder;
}

int cpu_thread_count(int requested, const char* omp_num_threads, unsigned cores) {
  if (requested < 0) throw std::invalid_argument("cpu_threads must be 0 (automatic) or more");
  if (requested > 0) return requested;
  if (omp_num_threads != nullptr && *omp_num_threads != '\0') return 0;  // LibTorch reads it itself
  return cores > 0 ? static_cast<int>(cores) : 0;
}

double StageTimes::total() const {
  double s = 0;
  for (double v : ms) s += v;
  return s;
}

Pipeline::Impl::Impl(PipelineOptions options)
    : opt_(std::move(options)),
      device_(model_device(opt_.device)),
      det_dtype_(precision_dtype(opt_.precision_of(opt_.detector_precision))),
      enc_dtype_(precision_dtype(opt_.precision_of(opt_.encoder_precision))),
      dec_dtype_(precision_dtype(opt_.precision_of(opt_.decoder_precision))),
      sam_norm_(SamNormalization::on(device_)) {
  if (device_.is_cpu())
    for (const auto* module : {&opt_.detector_precision, &opt_.encoder_precision, &opt_.decoder_precision})
      if (const std::string why = precision_problem(opt_.precision_of(*module), "cpu"); !why.empty())
        throw std::invalid_argument("precision " + opt_.precision_label() + ": " + why);
  if (opt_.detector_input < 32 || opt_.segmenter_input < 32)
    throw std::invalid_argument("model input sizes must be at least 32 pixels");
  if (device_.is_cuda()) {
    // fp32 is fp32 unless asked: LibTorch lets cuDNN use TF32 by default, so
    // "fp32" modules differed from a true fp32 reference (parity IoU 0.99).
    at::globalContext().setAllowTF32CuDNN(opt_.tf32);
    at::globalContext().setAllowTF32CuBLAS(opt_.tf32);
    stream_ = std::make_unique<OwnedStream>(device_, opt_.high_priority);
    ring_ = std::make_unique<UploadRing>(device_, opt_.upload_slots);
    input_buffers_ = std::make_shared<BufferPool>(opt_.upload_slots, page_locking(device_));
    if (opt_.cuda_graph && !opt_.sync_timing) graph_ = std::make_unique<FrameGraph>(device_);
    if (opt_.overlap_encoder && !opt_.sync_timing) fork_ = std::make_unique<StreamFork>(device_);
  } else {
    UploadRing::check_slots(opt_.upload_slots);  // unused on the CPU, still a bad option
    const char* omp = std::getenv("OMP_NUM_THREADS");
    const int threads = cpu_thread_count(opt_.cpu_threads, omp, std::thread::hardware_concurrency());
    if (threads > 0 && threads != at::get_num_threads()) at::set_num_threads(threads);
    spdlog::info("pipeline: cpu, {} LibTorch thread{} ({})", at::get_num_threads(),
                 at::get_num_threads() == 1 ? "" : "s",
                 opt_.cpu_threads > 0 ? "pipeline.cpu_threads"
                 : threads == 0       ? "OMP_NUM_THREADS=" + std::string(omp)
                                      : "every core; pipeline.cpu_threads sets another count");
  }
  std::vector<std::pair<const Model*, const std::string*>> loaded;
  if (semantic_kind()) {
    if (opt_.semantic.min_area < 1) throw std::invalid_argument("segment min_area must be at least 1 pixel");
    objects_.emplace(opt_.tracker);
    semantic_ = load_semantic_model(opt_.semantic.model, device_, precision_dtype(opt_.precision),
                                    opt_.semantic.settings);
    loaded.emplace_back(&semantic_->module, &opt_.semantic.model);
  } else {
    tracker_.emplace(opt_.tracker, checked_top_k(opt_.detect.top_k), device_);
    detector_ = load_detector(opt_.detector, device_, opt_.detector_input, det_dtype_);
    segmenter_ = load_segmenter(opt_.encoder, opt_.decoder, device_, opt_.segmenter_input, enc_dtype_, dec_dtype_);
    loaded = {{&detector_.module, &opt_.detector}, {&segmenter_.encoder, &opt_.encoder},
              {&segmenter_.decoder, &opt_.decoder}};
  }
  for (const auto& [model, spec] : loaded)
    if (model->converted())
      spdlog::info("pipeline: {}: a fp32 TorchScript file, its floating-point weights turned to {} at load; "
                   "constants its trace kept stay fp32 (an export in that precision has none)",
                   *spec, opt_.precision_label());
  // From here the pipeline's work queues on its own stream; what the
  // constructor queued on the default stream (the tracker's zeroed state,
  // constants) completes first.
  if (stream_) c10::Stream(c10::Stream::DEFAULT, device_).synchronize();  // the default stream's work
  warm_up();
  if (stream_) stream_->synchronize();
}

void Pipeline::Impl::warm_up() {
  if (opt_.warmup_frames <= 0) return;
  std::optional<c10::StreamGuard> on_stream;
  if (stream_) on_stream.emplace(stream_->stream());
  // Eagerly from a clean state: a graph of the warm-up size captured on
  // another thread would replay and leave this thread's caches cold.
  frame_ = torch::Tensor();
  packed_ = torch::Tensor();
  if (graph_) graph_->reset();
  // Two bright disks on a dark ramp, so detection and segmentation run;
  // the tracks they make are thrown away.
  Image warm;
  warm.dims = {640, 480, 1};
  warm.subvolume_size = warm.dims;
  warm.pixels.resize(640 * 480);
  for (int y = 0; y < 480; ++y)
    for (int x = 0; x < 640; ++x) {
      const bool disk = (x - 200) * (x - 200) + (y - 240) * (y - 240) < 40 * 40 ||
                        (x - 450) * (x - 450) + (y - 200) * (y - 200) < 30 * 30;
      warm.pixels[std::size_t(y) * 640 + std::size_t(x)] = std::uint8_t(disk ? 220 : 20 + (x + y) % 40);
    }
  for (int i = 0; i < opt_.warmup_frames; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    process(warm);
    warmup_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  if (semantic_kind()) {
    objects_->reset();
    if (stream_) stream_->synchronize();
    return;
  }
  // Every box count the decoder can see: all slots on CUDA, powers of two
  // up to them on the CPU (see process()).
  c10::InferenceMode inference;
  SamFrame frame;
  const torch::Tensor emb = segmenter_.encode(segmenter_input(
      to_unit_image(upload_image(warm, device_)), &frame, opt_.segmenter_input, sam_norm_, enc_dtype_));
  const auto zeros = torch::zeros({tracker_->slots(), 4}, torch::dtype(dec_dtype_).device(device_));
  for (std::int64_t n = device_.is_cpu() ? 1 : tracker_->slots(); n < tracker_->slots(); n *= 2)
    for (int i = 0; i < 2; ++i) segmenter_.decode(emb, zeros.slice(0, 0, n));
  for (int i = 0; i < 2; ++i) segmenter_.decode(emb, zeros);
  tracker_->reset();
  if (stream_) stream_->synchronize();
}

void Pipeline::Impl::reset_tracks() {
  std::optional<c10::StreamGuard> on_stream;
  if (stream_) on_stream.emplace(stream_->stream());  // in order with the frames (the graph reads the state in place)
  if (tracker_) tracker_->reset();
  if (objects_) objects_->reset();
}

PipelineOutput Pipeline::Impl::process(const ImageView& image) {
  c10::InferenceMode inference;
  PipelineOutput out;
  Laps laps(out.times, device_, opt_.sync_timing);
  std::optional<c10::StreamGuard> on_stream;
  if (stream_) on_stream.emplace(stream_->stream());
  if (device_.is_cuda()) {
    last_replay_.reset();
    const std::size_t bytes = process_cuda(image, laps);
    out.replay = last_replay_;
    out.result = finish(result_.data(), bytes, image, laps);
  } else {
    const torch::Tensor host = host_tensor(image).clone();  // owned: the frame's pixels may go
    laps.lap(Stage::Upload);
    const torch::Tensor packed = run_stages(host, laps);
    out.result = finish(packed.data_ptr<std::uint8_t>(), std::size_t(packed.numel()), image, laps);
  }
  return out;
}

std::size_t Pipeline::Impl::packed_bytes(const torch::Tensor& host) const {
  if (semantic_kind()) return std::size_t(2 * host.size(0) * host.size(1) * host.size(2));  // [D, H, W, C]
  return std::size_t(tracker_->block_bytes() + host.size(0) * host.size(1));                // [H, W, C]
}

FrameResult Pipeline::Impl::finish(const std::uint8_t* bytes, std::size_t size, const ImageInfo& image,
                                   Laps& laps) {
  if (!semantic_kind()) {
    FrameResult r = unpack_result(bytes, size);
    laps.lap(Stage::Result);
    return r;
  }
  const std::int64_t height = image.dims[1], width = image.dims[0], depth = image.dims[2];
  const std::size_t pixels = std::size_t(depth * height * width);
  if (size != 2 * pixels) throw std::logic_error("segment result of " + std::to_string(size) + " bytes");
  const std::uint8_t* classes = bytes;
  const std::uint8_t* foreground = bytes + pixels;
  FrameResult r;
  r.height = std::int32_t(height);
  r.width = std::int32_t(width);
  r.depth = std::int32_t(depth);
  if (opt_.semantic.keep_probability) r.probability.assign(foreground, foreground + pixels);
  if (depth > 1) {
    // A volume: its label volume (class values) and voxels per class; no
    // objects are followed across volumes.
    r.labels.assign(classes, classes + pixels);
    r.class_voxels.assign(std::size_t(semantic_->classes > 1 ? semantic_->classes : 2), 0);
    for (const std::uint8_t c : r.labels) ++r.class_voxels[c];
    laps.lap(Stage::Result);
    return r;
  }
  if (!opt_.semantic.track_labels) r.labels.assign(classes, classes + pixels);
  laps.lap(Stage::Result);
  // The match stage, on the host: the class map's regions, followed.
  const ComponentMap regions = connected_components(classes, foreground, std::int32_t(width), std::int32_t(height),
                                                    opt_.semantic.min_area, std::size_t(1) << 16);
  ObjectTracks tracks = objects_->update(regions.components, std::int32_t(width), std::int32_t(height));
  if (opt_.semantic.track_labels) {
    // Each object's pixels carry its track's id while the track is VISIBLE.
    bool visible[256] = {};
    for (const TrackResult& t : tracks.tracks) visible[t.id] = t.state == std::uint8_t(TrackState::Visible);
    std::vector<std::uint8_t> shown(regions.components.size(), 0);
    for (std::size_t i = 0; i < shown.size(); ++i) shown[i] = visible[tracks.id_of[i]] ? tracks.id_of[i] : 0;
    r.labels.resize(pixels);
    for (std::size_t i = 0; i < pixels; ++i) {
      const std::int32_t o = regions.index[i];
      r.labels[i] = o < 0 ? 0 : shown[std::size_t(o)];
    }
  }
  r.tracks = std::move(tracks.tracks);
  laps.lap(Stage::Match);
  return r;
}

std::size_t Pipeline::Impl::process_cuda(const ImageView& image, Laps& laps) {
  const torch::Tensor host = host_tensor(image);
  if (!frame_.defined() || frame_.sizes() != host.sizes() || frame_.scalar_type() != host.scalar_type()) {
    // A new shape: a new device frame, and a new graph after one eager frame.
    packed_ = torch::Tensor();
    if (graph_) graph_->reset();
    frame_ = torch::empty(host.sizes(), host.options().device(device_));
    eager_at_shape_ = 0;
    graph_failed_ = false;
  }
  ring_->upload(host.data_ptr(), std::size_t(host.nbytes()), frame_);
  laps.lap(Stage::Upload);
  try {
    return run_cuda(host, laps);
  } catch (...) {
    // The upload may still be reading the caller's (page-locked) pixels,
    // which go back to the reader once this frame is given up: wait for it.
    try {
      PinnedResult::wait(device_);
    } catch (...) {  // the frame's own error is the one to report
    }
    throw;
  }
}

std::size_t Pipeline::Impl::run_cuda(const torch::Tensor& host, Laps& laps) {
  const std::size_t bytes = packed_bytes(host);
  const auto work = [&] {
    packed_ = run_stages(frame_, laps);
    result_.copy_async(packed_);  // the one device-to-host copy of the frame, into pinned memory
  };
  const bool timed = time_replays_ && graph_ && graph_->ready();
  if (graph_ && graph_->ready()) {
    // the stages' times all fall in "result" (see StageTimes)
    if (timed)
      graph_->replay_timed();
    else
      graph_->replay();
  } else if (graph_ && !graph_failed_ && eager_at_shape_ >= 2) {  // TorchScript settles over two runs
    result_.reserve(bytes);  // the graph copies into this buffer: no reallocation inside the capture
    std::string why;
    if (graph_->capture(work, &why)) {
      graph_->replay();
      if (opt_.release_cached_memory) release_cached_device_memory(device_);
    } else {
      graph_failed_ = true;
      graph_failure_ = why;
      packed_ = torch::Tensor();
      spdlog::warn("pipeline: CUDA graph capture failed for {}x{} frames, running them eagerly: {}", host.size(1),
                   host.size(0), last_line(why));
      work();
    }
  } else {
    work();
    ++eager_at_shape_;
  }
  PinnedResult::wait(device_);
  if (timed) last_replay_ = graph_->replay_times();
  return bytes;
}

torch::Tensor Pipeline::Impl::run_stages(const torch::Tensor& hwc, Laps& laps) {
  return semantic_kind() ? run_semantic(hwc, laps) : run_detect_segment(hwc, laps);
}

torch::Tensor Pipeline::Impl::run_semantic(const torch::Tensor& dhwc, Laps& laps) {
  const SemanticModel& m = *semantic_;
  const torch::Tensor in = semantic_input(dhwc, m.input_size, m.in_channels, opt_.semantic.normalization)
                               .to(precision_dtype(opt_.precision));
  laps.lap(Stage::Preprocess);
  torch::Tensor packed = semantic_maps(run_network(in), dhwc.size(1), dhwc.size(2), opt_.semantic.maps).view({-1});
  laps.lap(Stage::Segment);
  return packed;
}

torch::Tensor Pipeline::Impl::run_network(const torch::Tensor& in) {
  const SemanticModel& m = *semantic_;
  const std::int64_t d = in.size(0);
  if (d > 1 && !slice_by_slice_) {
    std::string why;
    try {
      torch::Tensor out = m.run(in);
      if (out.dim() == 4 && out.size(0) == d && out.size(1) == m.classes) return out;
      why = "it returned " + shape_of(out);
    } catch (const std::exception& e) {
      why = short_error(e);
    }
    slice_by_slice_ = true;
    spdlog::warn("pipeline: {} takes no batch of {} slices ({}); volumes run one slice per call", m.spec, d, why);
  }
  if (d == 1) return m.run(in);
  std::vector<torch::Tensor> slices;
  for (std::int64_t i = 0; i < d; ++i) slices.push_back(m.run(in.slice(0, i, i + 1)));
  return torch::cat(slices, 0);
}

torch::Tensor Pipeline::Impl::run_detect_segment(const torch::Tensor& hwc, Laps& laps) {
  const std::int64_t height = hwc.size(0), width = hwc.size(1);
  const torch::Tensor unit = to_unit_image(hwc);
  const torch::Tensor det_in = detector_input(unit, opt_.detector_input, det_dtype_);
  // The segmenter's image embedding needs the frame only. With a fork it is
  // queued first, on the fork's stream, and runs beside the detector and the
  // tracker; `unit` and `emb` live until after the join (see StreamFork).
  SamFrame frame;
  torch::Tensor emb;
  const auto encode = [&] {
    emb = segmenter_.encode(segmenter_input(unit, &frame, opt_.segmenter_input, sam_norm_, enc_dtype_));
  };
  std::optional<StreamFork::Branch> branch;
  if (fork_) {
    branch.emplace(*fork_);
    encode();
    branch->close();
  }
  laps.lap(Stage::Preprocess);

  const auto [logits, boxes] = detector_.run(det_in);
  const DetectionSet dets = postprocess_detections(logits, boxes, opt_.detect);
  laps.lap(Stage::Detect);

  // One byte buffer for everything the frame returns: the tracker writes the
  // track block at its front, the segment stage the label map behind it.
  DeviceTracker& tracker = *tracker_;
  const std::int64_t block = tracker.block_bytes();
  torch::Tensor packed = torch::empty({block + height * width}, torch::dtype(torch::kUInt8).device(device_));
  torch::Tensor track_block = packed.slice(0, 0, block);
  const TrackSlots slots = tracker.update(dets, width, height, track_block);
  laps.lap(Stage::Match);

  torch::Tensor labels = packed.slice(0, block).view({height, width});
  // On CUDA the segmenter always takes every slot (fixed shapes, nothing
  // read back). On the CPU the slots are host memory, so the work follows
  // the VISIBLE count: none skips the segmenter, else the slots up to the
  // next power of two (a few shapes, each seen in the warm-up).
  std::int64_t used = tracker.slots();
  if (device_.is_cpu()) {
    const std::uint8_t* ids = slots.ids.data_ptr<std::uint8_t>();
    std::int64_t visible = 0;
    while (visible < used && ids[visible] != 0) ++visible;
    used = visible == 0 ? 0 : std::min(used, power_of_two_at_least(visible));
  }
  if (branch) branch->join();
  if (used == 0) {
    labels.zero_();
  } else {
    if (!emb.defined()) encode();
    const auto [mask_logits, iou] =
        segmenter_.decode(emb, boxes_to_sam(slots.boxes.slice(0, 0, used), frame));
    if (mask_logits.dim() != 4 || mask_logits.size(0) != used)
      throw std::runtime_error("decoder returned mask_logits" + shape_of(mask_logits) + " for " +
                               std::to_string(used) + " boxes");
    labels_from_logits_into(mask_logits, frame, slots.ids.slice(0, 0, used), labels, opt_.segmenter_input);
  }
  laps.lap(Stage::Segment);
  return packed;
}

PipelineCounters Pipeline::Impl::counters() const {
  PipelineCounters c;
  c.warmup_ms = warmup_ms_;
  c.graph_captures = graph_ ? graph_->captures() : 0;
  c.graph_replays = graph_ ? graph_->replays() : 0;
  c.graph_failure = graph_failure_;
  c.upload_waits = ring_ ? ring_->waits() : 0;
  c.direct_uploads = ring_ ? ring_->direct() : 0;
  return c;
}

Pipeline::Pipeline(PipelineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Pipeline::~Pipeline() = default;
void Pipeline::warm_up() { impl_->warm_up(); }
void Pipeline::reset_tracks() { impl_->reset_tracks(); }
void Pipeline::time_replays(bool on) { impl_->time_replays_ = on; }
PipelineOutput Pipeline::process(const ImageView& image) { return impl_->process(image); }
const PipelineOptions& Pipeline::options() const { return impl_->opt_; }
std::string Pipeline::input_problem(const ImageInfo& info) const {
  return pipeline_input_problem(info, impl_->semantic_kind());
}
const torch::Device& Pipeline::device() const { return impl_->device_; }
namespace {
void require_kind(const PipelineOptions& o, PipelineKind kind, const char* what) {
  if (o.kind != kind)
    throw std::logic_error(std::string("Pipeline::") + what + "(): a " + pipeline_kind_name(o.kind) + " pipeline has none");
}
}  // namespace
const DetectorModel& Pipeline::detector() const {
  require_kind(impl_->opt_, PipelineKind::DetectSegment, "detector");
  return impl_->detector_;
}
const SegmenterModel& Pipeline::segmenter() const {
  require_kind(impl_->opt_, PipelineKind::DetectSegment, "segmenter");
  return impl_->segmenter_;
}
const DeviceTracker& Pipeline::tracker() const {
  require_kind(impl_->opt_, PipelineKind::DetectSegment, "tracker");
  return *impl_->tracker_;
}
const SemanticModel& Pipeline::semantic() const {
  require_kind(impl_->opt_, PipelineKind::Segment, "semantic");
  return *impl_->semantic_;
}
PipelineCounters Pipeline::counters() const { return impl_->counters(); }
const std::shared_ptr<BufferPool>& Pipeline::input_buffers() const { return impl_->input_buffers_; }

}  // namespace igtb
