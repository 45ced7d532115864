#include "bridge/inference_bridge.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <optional>
#include <stdexcept>

#include "core/device_names.hpp"
#include "core/percentile.hpp"
#include "pipeline/stages/contours.hpp"
#include "pipeline/stages/preprocess.hpp"
#include "pipeline/tracking/track_step.hpp"
#include "transport/image_codec.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/string_codec.hpp"

namespace igtb {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

/// The message in the header versions `want` names (null for the others):
/// what the connected clients speak, and version 1 for the recorder.
std::pair<SharedBytes, SharedBytes> encoded(Envelope env, HeaderVersions want,
                                           const std::function<Bytes(const Envelope&)>& encode) {
  std::pair<SharedBytes, SharedBytes> out;
  env.header_version = 1;
  if (want.v1) out.first = std::make_shared<const Bytes>(encode(env));
  env.header_version = 2;
  if (want.v2) out.second = std::make_shared<const Bytes>(encode(env));
  return out;
}

/// The input IMAGE's metadata that the label map of that frame carries too
/// (PlusServer's timestamps, frame number, transform states and custom
/// frame fields): all of it but MRMLNodeName, which would name the label
/// map's node after the image in Slicer.
Metadata frame_metadata(const Metadata& in) {
  Metadata out;
  out.reserve(in.size());
  for (const auto& kv : in)
    if (kv.first != "MRMLNodeName") out.push_back(kv);
  return out;
}

std::pair<SharedBytes, SharedBytes> both_versions(const Envelope& env,
                                                 const std::function<Bytes(const Envelope&)>& encode) {
  return encoded(env, HeaderVersions{true, true}, encode);
}

}  // namespace

struct InferenceBridge::Lane {
  std::unique_ptr<Pipeline> pipeline;  ///< the worker's; replaced only by it (swap_if_due)
  std::string model_device;            ///< where its models run: fixed for the run
  PipelineKind kind = PipelineKind::DetectSegment;
  /// The page-locked buffers IMAGEs are received into: the first
  /// pipeline's, kept for the run (a replacement copies from them once more).
  std::shared_ptr<BufferPool> buffers;
  std::mutex next_m;
  std::unique_ptr<Pipeline> next;  ///< a replacement waiting for the worker
  std::string image_device;  ///< one lane with no device listed: "" until it binds, then may rebind (bind_m_)
  bool fixed = false;        ///< image_device from the options, never rebound
  std::string last_device;   ///< the worker's previous frame's device (a change resets the tracks)
  std::string mask_device, contour_device, state_device, probability_device;
  LatestSlot<Pending> slot;
  std::thread worker;
  std::uint64_t frames = 0;  ///< the worker's processed-frame counter
  StreamMetrics metrics;     ///< the worker writes, the monitoring endpoint reads
};

namespace {

std::vector<std::unique_ptr<Pipeline>> one(std::unique_ptr<Pipeline> p) {
  std::vector<std::unique_ptr<Pipeline>> v;
  v.push_back(std::move(p));
  return v;
}

}  // namespace

InferenceBridge::InferenceBridge(InferenceOptions options, std::unique_ptr<Pipeline> pipeline)
    : InferenceBridge(std::move(options), one(std::move(pipeline))) {}

InferenceBridge::InferenceBridge(InferenceOptions options, std::vector<std::unique_ptr<Pipeline>> pipelines)
    : opt_(std::move(options)), relay_(opt_.relay) {
  if (pipelines.empty()) throw std::invalid_argument("InferenceBridge needs a pipeline");
  for (const auto& p : pipelines)
    if (!p) throw std::invalid_argument("InferenceBridge needs a pipeline");
  const auto& devices = opt_.relay.image_devices;
  if (pipelines.size() > 1 && pipelines.size() != devices.size())
    throw std::invalid_argument(std::to_string(pipelines.size()) + " pipelines for " +
                                std::to_string(devices.size()) + " IMAGE devices: one pipeline per listed device");
  const std::size_t lanes = pipelines.size();  // the names fit: the configuration checked them (lane_names_problem)
  for (std::size_t i = 0; i < pipelines.size(); ++i) {
    auto lane = std::make_unique<Lane>();
    lane->pipeline = std::move(pipelines[i]);
    lane->model_device = lane->pipeline->device().str();
    lane->kind = lane->pipeline->options().kind;
    lane->buffers = lane->pipeline->input_buffers();
    lane->mask_device = opt_.mask_device;
    lane->contour_device = opt_.contour_device;
    lane->state_device = opt_.state_device;
    lane->probability_device = opt_.probability_device;
    if (pipelines.size() > 1 || devices.size() == 1) {
      lane->image_device = devices[i];
      lane->fixed = true;
    }
    for (auto* name : {&lane->mask_device, &lane->contour_device, &lane->state_device, &lane->probability_device})
      if (!name->empty()) *name = lane_output_name(*name, i, lanes);
    lanes_.push_back(std::move(lane));
  }
  volumes_ = lanes_.front()->kind == PipelineKind::Segment;
  if (!opt_.kpi_path.empty()) {
    kpi_.open(opt_.kpi_path, std::ios::out | std::ios::trunc);
    if (!kpi_) throw std::runtime_error("kpi.path: cannot open '" + opt_.kpi_path + "' for writing: " + std::strerror(errno));
  }
  if (!opt_.record.dir.empty()) {
    recorder_ = std::make_unique<SessionRecorder>(opt_.record);
    relay_.set_input_tap([this](const Message& m) { recorder_->on_input(m); });
  }
  relay_.set_image_sink([this](Message&& m) {
    // Before lane_for: an image the pipeline cannot take never binds the lane.
    // Every lane is of one shape (pipeline.kind), for the whole run.
    if (const std::string why = pipeline_input_problem(decode_image_layout(m.content(), m.content_size).info, volumes_);
        !why.empty()) {
      unsupported_.fetch_add(1);
      warn_unsupported(m.device(), why);
      return;
    }
    if (Lane* lane = lane_for(m.device())) lane->slot.put(Pending{std::move(m), Clock::now()});
    else ignored_.fetch_add(1);
  });
  bool pooled = false;  // a lane on CUDA (lanes may sit on different devices, models.stream_devices)
  for (const auto& lane : lanes_) pooled = pooled || lane->buffers != nullptr;
  if (pooled) {
    // IMAGEs are received into their lane's page-locked buffers: their
    // pixels go from the message to the device with no host copy between.
    // Not after a page-locking failure (each retry would cost a failing
    // driver call on the reader thread), nor for IMAGEs larger than any 2D
    // frame the pipeline takes (a buffer stays as large as its largest message).
    // The header alone binds nothing (its body may yet fail its checks): one
    // lane's pool serves every IMAGE (an ignored one gives its buffer back).
    relay_.set_buffer_source([this](const Header& h, std::size_t size) -> std::shared_ptr<Bytes> {
      if (h.type != "IMAGE") return nullptr;
      const Lane* lane = lanes_.front().get();
      if (lanes_.size() > 1) {
        lane = nullptr;
        for (const auto& l : lanes_)
          if (l->image_device == h.device) lane = l.get();
      }
      const std::shared_ptr<BufferPool> pool = lane ? lane->buffers : nullptr;
      if (!pool) return nullptr;  // no lane takes it (counted when the message comes), or a lane on the CPU
      if (size > kMaxPageLockedMessage || buffers_failed_.load()) {
        not_page_locked_.fetch_add(1);
        return nullptr;
      }
      try {
        return pool->acquire(size);
      } catch (const std::exception& e) {  // the frame still goes through, copied once more on the host
        buffers_failed_.store(true);
        not_page_locked_.fetch_add(1);
        spdlog::warn("pipeline: cannot page-lock an input buffer ({}); frames are copied once more from now on", e.what());
        return nullptr;
      }
    });
  }
}

InferenceBridge::~InferenceBridge() { stop(); }

InferenceBridge::Lane* InferenceBridge::lane_for(const std::string& device) {
  if (lanes_.size() > 1 || lanes_.front()->fixed) {  // names fixed at construction
    for (auto& lane : lanes_)
      if (lane->image_device == device) return lane.get();
  }
  std::lock_guard<std::mutex> lock(bind_m_);
  const auto now = Clock::now();
  if (lanes_.size() == 1 && !lanes_.front()->fixed) {
    Lane& lane = *lanes_.front();
    if (lane.image_device.empty()) {
      lane.image_device = device;
      spdlog::info("pipeline: tracking IMAGE device '{}'", device);
    } else if (lane.image_device != device &&
               now - bound_seen_ >= std::chrono::duration<double>(opt_.rebind_after_s)) {
      spdlog::warn("pipeline: now tracking IMAGE device '{}' ('{}' silent for {:.1f} s); its tracks start anew",
                   device, lane.image_device, std::chrono::duration<double>(now - bound_seen_).count());
      lane.image_device = device;
    }
    if (lane.image_device == device) {
      bound_seen_ = now;
      return &lane;
    }
  }
  if (ignored_devices_.size() < kMaxIgnoredNames && ignored_devices_.insert(device).second)
    spdlog::warn("pipeline: IMAGE device '{}' ignored: {}; one pipeline per device: list them all in "
                 "input.image_devices",
                 device,
                 lanes_.size() == 1 ? "the pipeline tracks '" + lanes_.front()->image_device + "'"
                                    : std::string("no pipeline for it"));
  return nullptr;
}

void InferenceBridge::warn_unsupported(const std::string& device, const std::string& why) {
  if (!unsupported_warned_.should_log(device + '\n' + why)) return;
  spdlog::warn("pipeline: IMAGE '{}' is {}; its frames are {} but not segmented (counted as unsupported in "
               "IgtbridgeStatus). Send 2D frames of 1, 3 or 4 components, or leave this device out with "
               "input.image_devices",
               device, why, opt_.relay.forward_images ? "forwarded" : "not forwarded (output.forward_images: false)");
}

std::string InferenceBridge::model_device(std::size_t lane) const { return lanes_.at(lane)->model_device; }

void InferenceBridge::replace_pipelines(std::vector<std::unique_ptr<Pipeline>> next) {
  if (next.size() != lanes_.size())
    throw std::invalid_argument(std::to_string(next.size()) + " pipelines for " + std::to_string(lanes_.size()) +
                                " lanes");
  for (std::size_t i = 0; i < next.size(); ++i) {
    if (!next[i]) throw std::invalid_argument("replace_pipelines: a null pipeline");
    if (next[i]->options().kind != lanes_[i]->kind)
      throw std::invalid_argument("pipeline.kind cannot change while running (it decides which IMAGEs are taken)");
    if (next[i]->device().str() != lanes_[i]->model_device)
      throw std::invalid_argument("the models' device cannot change while running (" + lanes_[i]->model_device +
                                  " to " + next[i]->device().str() + ")");
  }
  for (std::size_t i = 0; i < next.size(); ++i) {
    std::lock_guard<std::mutex> lock(lanes_[i]->next_m);
    lanes_[i]->next = std::move(next[i]);  // an earlier replacement not yet taken is dropped
  }
}

void InferenceBridge::swap_if_due(Lane& lane) {
  std::unique_ptr<Pipeline> next;
  {
    std::lock_guard<std::mutex> lock(lane.next_m);
    next = std::move(lane.next);
  }
  if (!next) return;
  const auto t = Clock::now();
  try {
    if (next->device().is_cuda()) next->warm_up();  // this thread's CUDA state (see start())
  } catch (const std::exception& e) {
    spdlog::error("pipeline: the reloaded models failed their warm-up on the worker ({}); the running ones stay",
                  short_error(e));
    return;
  }
  lane.pipeline = std::move(next);  // the old pipeline goes here, on its own thread
  lane.last_device.clear();         // the new pipeline has no tracks: no reset needed
  swaps_.fetch_add(1);
  spdlog::info("pipeline: reloaded models in use from this frame on{}{}",
               lanes_.size() > 1 ? " (" + lane.image_device + ")" : std::string(),
               lane.model_device == "cpu" ? std::string()
                                          : fmt::format(" (warm-up on the worker {:.1f} ms)", ms_since(t)));
}

std::array<std::string, 3> InferenceBridge::output_devices(std::size_t lane) const {
  const Lane& l = *lanes_.at(lane);
  return {l.mask_device, l.contour_device, l.state_device};
}

void InferenceBridge::start() {
  if (started_ || stopped_) throw std::logic_error("InferenceBridge::start: once, and not after stop()");
  started_ = true;
  if (recorder_) recorder_->start();
  // On CUDA the frames' thread warms up again before any socket opens:
  // LibTorch keeps CUDA state per thread (cuDNN execution plans), and the
  // pipeline's own warm-up ran on the thread that built it.
  std::vector<std::future<void>> ready;
  for (auto& lane_ptr : lanes_) {
    Lane* lane = lane_ptr.get();
    std::promise<void> warmed;
    ready.push_back(warmed.get_future());
    // The worker owns the promise: start() may return (and its locals go) while set_value is still running.
    lane->worker = std::thread([this, lane, warmed = std::move(warmed)]() mutable {
      try {
        if (lane->pipeline->device().is_cuda()) lane->pipeline->warm_up();
        warmed.set_value();
      } catch (...) {
        warmed.set_exception(std::current_exception());
        return;
      }
      while (auto p = lane->slot.take()) {
        swap_if_due(*lane);
        process(*lane, *p);
      }
    });
  }
  for (auto& r : ready) r.get();  // a warm-up's error is the caller's (stop() ends the other workers)
  relay_.start();
}

void InferenceBridge::stop() {
  if (stopped_) return;
  stopped_ = true;
  relay_.stop();  // no new frames; the reader thread is joined
  for (auto& lane : lanes_) lane->slot.close();
  for (auto& lane : lanes_)
    if (lane->worker.joinable()) lane->worker.join();
  log_failure_counts(failures_.flush());
  if (kpi_.is_open()) kpi_.flush();
  if (recorder_) recorder_->stop();  // what is queued is written, files closed
}

void InferenceBridge::log_failure(const std::string& error) {
  if (failures_.should_log(stable_reason(error))) spdlog::error("pipeline: frame failed: {}", error);
  log_failure_counts(failures_.due());
}

void InferenceBridge::log_failure_counts(const std::vector<RateLimitedLog::Suppressed>& counts) {
  for (const auto& c : counts)
    spdlog::warn("pipeline: {} more failed frame(s) in the last {:g} s: {}", c.count, c.seconds_rounded(), c.key);
}

/// One frame on its way through the worker: what each step leaves for the next.
struct InferenceBridge::Frame {
  const Message& message;
  FrameReport report;
  Image swapped;           ///< only for pixels not in host byte order
  ImageView image;         ///< else the pixels stay in the message
  PipelineOutput out;
  HeaderVersions clients;  ///< read after the pipeline ran: a client that came meanwhile gets the frame
  std::size_t contour_stage = 0, encode_stage = 0;  ///< their places in report.stages_ms
};

// The frame's path: decode -> infer -> publish the label map (e2e ends when
// it is queued for every client) -> make and publish the contours -> report
// (state message, KPI line). Each message is encoded only in the header
// versions the connected clients speak.
void InferenceBridge::process(Lane& lane, Pending& p) {
  lane.metrics.begin_frame(Clock::now());
  Frame f{p.message, {}, {}, {}, {}, {}};
  f.report.frame = ++lane.frames;
  f.report.device = f.message.device();
  f.report.timestamp = timestamp_to_seconds(f.message.header.timestamp);
  f.report.dropped = lane.slot.dropped();
  try {
    decode(lane, f);
    infer(lane, f);
    publish_label_map(lane, f);
  } catch (const std::exception& e) {
    f.report.failed = true;
    f.report.error = short_error(e);
    f.report.tracks.clear();
    failed_.fetch_add(1);
    log_failure(f.report.error);
    f.clients = relay_.server().header_versions();  // for the state message
  }
  f.report.e2e_ms = ms_since(p.received);
  if (!f.report.failed && f.clients.any()) {  // no client: nothing more to send
    publish_probability(lane, f);
    publish_contours(lane, f);
  }
  report(lane, f);
  lane.metrics.end_frame();
}

void InferenceBridge::decode(Lane& lane, Frame& f) {
  if (lane.last_device != f.message.device()) {  // another stream (the one lane rebound): none of its tracks
    if (!lane.last_device.empty()) lane.pipeline->reset_tracks();
    lane.last_device = f.message.device();
  }
  const auto t = Clock::now();
  f.image = view_image(f.message, f.swapped);
  f.report.stages_ms.emplace_back("decode", ms_since(t));
}

void InferenceBridge::infer(Lane& lane, Frame& f) {
  f.out = lane.pipeline->process(f.image);
  for (std::size_t i = 0; i < kStageCount; ++i) f.report.stages_ms.emplace_back(stage_names()[i], f.out.times.ms[i]);
  f.contour_stage = f.report.stages_ms.size();  // timed by publish_contours
  f.report.stages_ms.emplace_back("contours", 0.0);
  f.report.tracks = f.out.result.tracks;
  f.report.unsegmented = f.out.result.unsegmented;
  f.report.class_voxels = f.out.result.class_voxels;
  if (lane.kind == PipelineKind::Segment) f.report.class_names = &lane.pipeline->semantic().class_names;
}

void InferenceBridge::publish_label_map(Lane& lane, Frame& f) {
  const auto t = Clock::now();
  f.clients = relay_.server().header_versions();
  HeaderVersions labels_for = f.clients;
  if (recorder_) labels_for.v1 = true;  // the recorder keeps version 1 label maps
  std::pair<SharedBytes, SharedBytes> mask;
  if (labels_for.any()) {
    ImageView labels(f.image, f.out.result.labels.data());  // dims, spacing, matrix, coordinate: bit for bit
    labels.scalar = ScalarType::UInt8;
    labels.components = 1;
    if (f.out.result.labels.size() != labels.pixel_bytes())
      throw std::logic_error("label map of " + std::to_string(f.out.result.labels.size()) + " bytes for a frame of " +
                             std::to_string(labels.pixel_bytes()) + " pixels");
    const Message& m = f.message;
    mask = encoded(Envelope{"IMAGE", lane.mask_device, m.header.timestamp, 1, 0, frame_metadata(m.metadata)},
                   labels_for, [&](const Envelope& e) { return encode_image(e, labels); });
  }
  f.encode_stage = f.report.stages_ms.size();
  f.report.stages_ms.emplace_back("encode", ms_since(t));
  if (mask.first || mask.second) relay_.server().broadcast(mask.first, mask.second);
  if (mask.first && recorder_) recorder_->on_labels(mask.first);
}

void InferenceBridge::publish_probability(Lane& lane, Frame& f) {
  const std::vector<std::uint8_t>& p = f.out.result.probability;
  if (lane.probability_device.empty() || p.empty()) return;
  try {
    const auto t = Clock::now();
    ImageView probability(f.image, p.data());  // the input's geometry, as the label map's
    probability.scalar = ScalarType::UInt8;
    probability.components = 1;
    if (p.size() != probability.pixel_bytes())
      throw std::logic_error("probability map of " + std::to_string(p.size()) + " bytes for a frame of " +
                             std::to_string(probability.pixel_bytes()) + " pixels");
    const Message& m = f.message;
    const auto bytes =
        encoded(Envelope{"IMAGE", lane.probability_device, m.header.timestamp, 1, 0, frame_metadata(m.metadata)},
                f.clients, [&](const Envelope& e) { return encode_image(e, probability); });
    f.report.stages_ms[f.encode_stage].second += ms_since(t);
    relay_.server().broadcast(bytes.first, bytes.second);
  } catch (const std::exception& e) {
    // The label map is out and stands; only the probability map is missing.
    log_failure("probability map: " + short_error(e));
  }
}

void InferenceBridge::publish_contours(Lane& lane, Frame& f) {
  if (f.out.result.depth > 1) return;  // a label volume: no contours (the state lists its voxels per class)
  try {
    auto t = Clock::now();
    const PolyData contours = label_contours(f.out.result.labels.data(), f.image);
    f.report.stages_ms[f.contour_stage].second = ms_since(t);
    t = Clock::now();
    const auto contour = encoded(Envelope{"POLYDATA", lane.contour_device, f.message.header.timestamp, 1, 0, {}},
                                 f.clients, [&](const Envelope& e) { return encode_polydata(e, contours); });
    f.report.stages_ms[f.encode_stage].second += ms_since(t);
    if (contour.first || contour.second) relay_.server().broadcast(contour.first, contour.second);
  } catch (const std::exception& e) {
    // The label map is out and stands (the frame is not a failed one); only its contours are missing.
    log_failure("contours: " + short_error(e));
  }
}

void InferenceBridge::report(Lane& lane, Frame& f) {
  const std::string json = frame_json(f.report);
  const auto state = encoded(Envelope{"STRING", lane.state_device, f.message.header.timestamp, 1, 0, {}}, f.clients,
                             [&](const Envelope& e) { return encode_string(e, Text{3, json}); });
  if (state.first || state.second) relay_.server().broadcast(state.first, state.second);
  processed_.fetch_add(1);
  std::uint32_t visible = 0;
  for (const auto& t : f.report.tracks) visible += t.state == step::kVisible ? 1 : 0;
  lane.metrics.processed.fetch_add(1, std::memory_order_relaxed);
  if (f.report.failed) lane.metrics.failed.fetch_add(1, std::memory_order_relaxed);
  else lane.metrics.observe(f.report.e2e_ms, f.report.stages_ms, visible);
  if (overlay_.armed() && !f.report.failed) {
    try {  // the dashboard's picture: a downscaled copy, the PNG is made off this thread
      overlay_.capture(f.image, f.out.result.labels.data(), f.report.device, f.report.frame, f.report.timestamp);
    } catch (const std::exception& e) {
      spdlog::debug("overlay: {}", e.what());
    }
  }
  if (kpi_.is_open()) {
    std::lock_guard<std::mutex> kpi_lock(kpi_m_);
    kpi_ << json << '\n' << std::flush;
  }
  std::lock_guard<std::mutex> lock(latencies_m_);
  latencies_.push_back(f.report.e2e_ms);
}

void InferenceBridge::send_text(const std::string& device, const std::string& text) {
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto m = both_versions(Envelope{"STRING", device, timestamp_from_seconds(now), 1, 0, {}},
                               [&](const Envelope& e) { return encode_string(e, Text{3, text}); });
  relay_.server().broadcast(m.first, m.second);
}

const StreamMetrics& InferenceBridge::stream_metrics(std::size_t lane) const { return lanes_.at(lane)->metrics; }

std::string InferenceBridge::stream_name(std::size_t lane) const {
  const Lane& l = *lanes_.at(lane);
  if (l.fixed) return l.image_device;
  std::lock_guard<std::mutex> lock(bind_m_);
  return l.image_device;
}

std::uint64_t InferenceBridge::stream_frames_in(std::size_t lane) const { return lanes_.at(lane)->slot.received(); }
std::uint64_t InferenceBridge::stream_dropped(std::size_t lane) const { return lanes_.at(lane)->slot.dropped(); }

double InferenceBridge::longest_busy_s(std::chrono::steady_clock::time_point now) const {
  double longest = 0;
  for (const auto& lane : lanes_) longest = std::max(longest, lane->metrics.busy_for_s(now));
  return longest;
}

InferenceStats InferenceBridge::stats() const {
  InferenceStats s;
  s.relay = relay_.stats();
  for (const auto& lane : lanes_) {
    s.frames_in += lane->slot.received();
    s.dropped += lane->slot.dropped();
    // The lane's own pool (the first pipeline's, kept for the run): lane->pipeline is the worker's
    // to swap (a reload), never read from here.
    if (const auto& pool = lane->buffers) {
      s.page_locked += pool->acquired();
      s.not_page_locked += pool->misses();
    }
  }
  s.not_page_locked += not_page_locked_.load();  // 0 without a CUDA lane
  s.processed = processed_.load();
  s.failed = failed_.load();
  s.ignored = ignored_.load();
  s.unsupported = unsupported_.load();
  return s;
}

std::vector<double> InferenceBridge::take_latencies() {
  std::lock_guard<std::mutex> lock(latencies_m_);
  std::vector<double> out;
  out.swap(latencies_);
  return out;
}

std::string inference_summary(const InferenceStats& now, const InferenceStats& before, double seconds,
                              const std::vector<double>& lat) {
  const double dt = seconds > 0 ? seconds : 1;
  char buf[480];
  if (now.frames_in == before.frames_in && lat.empty()) {  // no frame: no rates or latencies to print as 0.0
    std::snprintf(buf, sizeof buf, "pipeline: idle, no frame in the last %.0f s; %llu processed in all, %zu client(s), upstream %s",
                  dt, static_cast<unsigned long long>(now.processed), now.relay.clients,
                  now.relay.upstream_connected ? "connected" : "not connected");
    return buf;
  }
  std::snprintf(buf, sizeof buf,
                "pipeline: %.1f frames/s in, %.1f out, %llu dropped busy (total %llu), %llu failed (total %llu), "
                "e2e p50 %.1f p95 %.1f p99 %.1f ms, %zu client(s), %llu client drops, upstream %s%s",
                double(now.frames_in - before.frames_in) / dt, double(now.processed - before.processed) / dt,
                static_cast<unsigned long long>(now.dropped - before.dropped),
                static_cast<unsigned long long>(now.dropped),
                static_cast<unsigned long long>(now.failed - before.failed),
                static_cast<unsigned long long>(now.failed), percentile(lat, 50), percentile(lat, 95),
                percentile(lat, 99), now.relay.clients, static_cast<unsigned long long>(now.relay.dropped),
                now.relay.upstream_connected ? "connected" : "not connected",
                now.ignored ? (", " + std::to_string(now.ignored) + " IMAGEs of other devices ignored (total)").c_str() : "");
  std::string line = buf;
  if (now.unsupported)
    line += ", " + std::to_string(now.unsupported) + " IMAGEs the pipeline cannot take (total, forwarded unsegmented)";
  if (now.relay.malformed) line += ", " + std::to_string(now.relay.malformed) + " malformed messages dropped (total)";
  return line;
}

}  // namespace igtb
