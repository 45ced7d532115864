#include "pipeline/pipeline.hpp"

#include <torch/cuda.h>

#include <chrono>
#include <stdexcept>

#include "pipeline/contours.hpp"
#include "pipeline/preprocess.hpp"
#include "pipeline/segment.hpp"

namespace igtb {
namespace {

using Clock = std::chrono::steady_clock;

class StageClock {
 public:
  StageClock(StageTimes& t, const torch::Device& d, bool sync) : t_(t), device_(d), sync_(sync) {}
  void lap(std::size_t stage) {
    if (sync_ && device_.is_cuda()) torch::cuda::synchronize(device_.index());
    const auto now = Clock::now();
    t_.ms[stage] = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
  }

 private:
  StageTimes& t_;
  torch::Device device_;
  bool sync_;
  Clock::time_point last_ = Clock::now();
};

enum Stage : std::size_t { kUpload, kPreprocess, kDetect, kMatch, kSegment, kResult, kContours };

/// The smallest power of two >= n (n >= 1).
std::int64_t box_bucket(std::int64_t n) {
  std::int64_t b = 1;
  while (b < n) b *= 2;
  return b;
}

}  // namespace

const std::array<const char*, StageTimes::kCount>& StageTimes::names() {
  static const std::array<const char*, kCount> n{"upload", "preprocess", "detect", "match", "segment", "result",
                                                 "contours"};
  return n;
}

double StageTimes::total() const {
  double s = 0;
  for (double v : ms) s += v;
  return s;
}

Pipeline::Pipeline(PipelineOptions options)
    : opt_(std::move(options)),
      device_(model_device(opt_.device)),
      dtype_(precision_dtype(opt_.precision)),
      tracker_(opt_.tracker) {
  if (device_.is_cpu() && dtype_ != torch::kFloat32)
    throw std::invalid_argument("precision " + opt_.precision + " needs a CUDA device; use fp32 on the CPU");
  if (opt_.detector_input < 32 || opt_.segmenter_input < 32)
    throw std::invalid_argument("model input sizes must be at least 32 pixels");
  if (opt_.detect.top_k < 1) throw std::invalid_argument("detect top_k must be at least 1");
  detector_ = load_detector(opt_.detector, device_, opt_.detector_input, dtype_);
  segmenter_ = load_segmenter(opt_.encoder, opt_.decoder, device_, opt_.segmenter_input, dtype_);
  if (opt_.warmup_frames > 0) {
    // Two bright disks on a dark ramp, so detection, segmentation and
    // contours all run; the tracks they make are thrown away.
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
    // Every box-count bucket the decoder can see: at most top_k detections
    // are matched in a frame, so at most that many tracks are VISIBLE.
    c10::InferenceMode inference;
    SamFrame frame;
    const torch::Tensor emb = segmenter_.encode(segmenter_input(
        to_unit_image(upload_image(warm, device_)), &frame, opt_.segmenter_input).to(dtype_));
    const double q = double(opt_.segmenter_input) / 4;
    const auto box = torch::tensor({q, q, 2 * q, 2 * q}, torch::dtype(dtype_).device(device_)).reshape({1, 4});
    for (std::int64_t b = 1; b <= box_bucket(opt_.detect.top_k); b *= 2)
      for (int i = 0; i < 2; ++i) segmenter_.decode(emb, box.expand({b, 4}).contiguous());
    tracker_ = Tracker(opt_.tracker);
  }
}

PipelineOutput Pipeline::process(const Image& image) {
  c10::InferenceMode inference;
  PipelineOutput out;
  StageClock clock(out.times, device_, opt_.sync_timing);
  const std::int64_t height = image.dims[1], width = image.dims[0];

  const torch::Tensor hwc = upload_image(image, device_);
  clock.lap(kUpload);

  const torch::Tensor unit = to_unit_image(hwc);
  const torch::Tensor det_in = detector_input(unit, opt_.detector_input).to(dtype_);
  clock.lap(kPreprocess);

  const auto [logits, boxes] = detector_.run(det_in);
  const DetectionSet dets = postprocess_detections(logits, boxes, width, height, opt_.detect);
  clock.lap(kDetect);

  // The assignment runs on the host (a few microseconds for ten objects);
  // moving it onto the device, inside the captured graph, is the fast path's.
  const torch::Tensor small = torch::cat({dets.scores.unsqueeze(1), dets.boxes_norm, dets.valid.unsqueeze(1).to(torch::kFloat32)}, 1)
                                  .to(torch::kCPU, torch::kFloat32)
                                  .contiguous();
  std::vector<Detection> found;
  const float* row = small.data_ptr<float>();
  for (std::int64_t i = 0; i < small.size(0); ++i, row += 6)
    if (row[5] > 0.5f) found.push_back(Detection{Box{row[1], row[2], row[3], row[4]}, row[0]});
  tracker_.update(found);
  const auto& tracks = tracker_.tracks();
  const auto n = static_cast<std::int64_t>(tracks.size());
  const auto count = static_cast<std::size_t>(n);
  std::vector<float> box_px(count * 4), scores(count);
  std::vector<std::uint8_t> ids(count), states(count);
  std::vector<float> visible_boxes;
  std::vector<std::uint8_t> visible_ids;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const Box& b = tracks[i].box;
    const float xyxy[4] = {float((b.cx - b.w / 2) * double(width)), float((b.cy - b.h / 2) * double(height)),
                           float((b.cx + b.w / 2) * double(width)), float((b.cy + b.h / 2) * double(height))};
    std::copy(xyxy, xyxy + 4, box_px.begin() + std::ptrdiff_t(4 * i));
    scores[i] = float(tracks[i].score);
    ids[i] = tracks[i].id;
    states[i] = static_cast<std::uint8_t>(tracks[i].visibility.state());
    if (tracks[i].visibility.state() == TrackState::Visible) {
      visible_boxes.insert(visible_boxes.end(), xyxy, xyxy + 4);
      visible_ids.push_back(tracks[i].id);
    }
  }
  auto to_device = [&](auto& v, torch::ScalarType t, std::vector<std::int64_t> shape) {
    return torch::from_blob(v.data(), shape, torch::dtype(t)).to(device_);
  };
  clock.lap(kMatch);

  torch::Tensor labels;
  const auto nv = static_cast<std::int64_t>(visible_ids.size());
  if (nv == 0) {
    labels = torch::zeros({height, width}, torch::dtype(torch::kUInt8).device(device_));
  } else {
    SamFrame frame;
    const torch::Tensor seg_in = segmenter_input(unit, &frame, opt_.segmenter_input).to(dtype_);
    const torch::Tensor emb = segmenter_.encode(seg_in);
    // The decoder sees box counts in powers of two (padded with copies of
    // the first box, their masks dropped): a handful of shapes, each warmed
    // up at start-up, instead of a TorchScript re-specialisation (~0.5 s on
    // CUDA) the first time a new count of visible tracks appears.
    torch::Tensor sam_boxes = boxes_to_sam(to_device(visible_boxes, torch::kFloat32, {nv, 4}), frame).to(dtype_);
    const std::int64_t padded = box_bucket(nv);
    if (padded > nv) sam_boxes = torch::cat({sam_boxes, sam_boxes.slice(0, 0, 1).expand({padded - nv, 4})});
    auto [mask_logits, iou] = segmenter_.decode(emb, sam_boxes);
    mask_logits = mask_logits.slice(0, 0, nv);
    if (mask_logits.dim() != 4 || mask_logits.size(0) != nv)
      throw std::runtime_error("decoder returned mask_logits" + shape_of(mask_logits) + " for " +
                               std::to_string(nv) + " boxes");
    const torch::Tensor masks = masks_from_logits(mask_logits, frame, height, width, opt_.segmenter_input);
    labels = compose_labels(masks, to_device(visible_ids, torch::kUInt8, {nv}), height, width);
  }
  clock.lap(kSegment);

  const torch::Tensor packed = pack_result(labels, to_device(box_px, torch::kFloat32, {n, 4}),
                                           to_device(scores, torch::kFloat32, {n}), to_device(ids, torch::kUInt8, {n}),
                                           to_device(states, torch::kUInt8, {n}));
  const torch::Tensor host = packed.to(torch::kCPU);  // the one device-to-host copy of the frame
  out.result = unpack_result(host.data_ptr<std::uint8_t>(), std::size_t(host.numel()));
  clock.lap(kResult);

  out.contours = label_contours(out.result.labels.data(), image);
  clock.lap(kContours);
  return out;
}

}  // namespace igtb
