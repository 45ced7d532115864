#include "bridge/inference_bridge.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <optional>
#include <stdexcept>

#include "core/percentile.hpp"
#include "pipeline/contours.hpp"
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

std::pair<SharedBytes, SharedBytes> both_versions(const Envelope& env,
                                                 const std::function<Bytes(const Envelope&)>& encode) {
  return encoded(env, HeaderVersions{true, true}, encode);
}

}  // namespace

InferenceBridge::InferenceBridge(InferenceOptions options, std::unique_ptr<Pipeline> pipeline)
    : opt_(std::move(options)), pipeline_(std::move(pipeline)), relay_(opt_.relay) {
  if (!pipeline_) throw std::invalid_argument("InferenceBridge needs a pipeline");
  if (!opt_.kpi_path.empty()) {
    kpi_.open(opt_.kpi_path, std::ios::out | std::ios::trunc);
    if (!kpi_) throw std::runtime_error("kpi.path: cannot open '" + opt_.kpi_path + "' for writing: " + std::strerror(errno));
  }
  if (!opt_.record.dir.empty()) {
    recorder_ = std::make_unique<SessionRecorder>(opt_.record);
    relay_.set_input_tap([this](const Message& m) { recorder_->on_input(m); });
  }
  relay_.set_image_sink([this](Message&& m) { slot_.put(Pending{std::move(m), Clock::now()}); });
  if (std::shared_ptr<BufferPool> pool = pipeline_->input_buffers()) {
    // IMAGEs are received into the pipeline's page-locked buffers: their
    // pixels go from the message to the device with no host copy between.
    // Not after a page-locking failure (each retry would cost a failing
    // driver call on the reader thread), nor for IMAGEs larger than any 2D
    // frame the pipeline takes (a buffer stays as large as its largest message).
    relay_.set_buffer_source([this, pool](const Header& h, std::size_t size) -> std::shared_ptr<Bytes> {
      if (h.type != "IMAGE") return nullptr;
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

void InferenceBridge::start() {
  if (recorder_) recorder_->start();
  // On CUDA the frames' thread warms up again before any socket opens:
  // LibTorch keeps CUDA state per thread (cuDNN execution plans), and the
  // pipeline's own warm-up ran on the thread that built it.
  std::promise<void> warmed;
  std::future<void> ready = warmed.get_future();
  // The worker owns the promise: start() may return (and its locals go) while set_value is still running.
  worker_ = std::thread([this, warmed = std::move(warmed)]() mutable {
    try {
      if (pipeline_->device().is_cuda()) pipeline_->warm_up();
      warmed.set_value();
    } catch (...) {
      warmed.set_exception(std::current_exception());
      return;
    }
    run();
  });
  ready.get();  // the warm-up's error, if any, is the caller's
  relay_.start();
}

void InferenceBridge::stop() {
  if (stopped_) return;
  stopped_ = true;
  relay_.stop();  // no new frames; the reader thread is joined
  slot_.close();
  if (worker_.joinable()) worker_.join();
  if (kpi_.is_open()) kpi_.flush();
  if (recorder_) recorder_->stop();  // what is queued is written, files closed
}

void InferenceBridge::run() {
  while (auto p = slot_.take()) process(*p);
}

void InferenceBridge::log_failure(const std::string& error) {
  // One clear line per kind of failure; repeats are counted, and logged again
  // at most every 5 s, so a stream of bad frames cannot flood the log.
  const auto now = Clock::now();
  if (error != last_error_ || now - last_error_log_ > std::chrono::seconds(5)) {
    if (errors_unlogged_) spdlog::warn("pipeline: {} more failed frame(s) not logged", errors_unlogged_);
    spdlog::error("pipeline: frame failed: {}", error);
    last_error_ = error;
    last_error_log_ = now;
    errors_unlogged_ = 0;
  } else {
    ++errors_unlogged_;
  }
}

void InferenceBridge::process(Pending& p) {
  const Message& m = p.message;
  FrameReport rep;
  rep.frame = processed_.load() + 1;
  rep.device = m.device();
  rep.timestamp = timestamp_to_seconds(m.header.timestamp);
  rep.dropped = slot_.dropped();

  // The label map goes out first (e2e ends when it is queued for every
  // client), then the contours are extracted and sent. Each message is
  // encoded only in the header versions the clients connected speak (read
  // after the pipeline ran, so that a client that came meanwhile gets the frame).
  HeaderVersions clients;
  std::pair<SharedBytes, SharedBytes> mask;
  Image swapped;  // only for pixels not in host byte order
  ImageView img;  // else the pixels stay in the message
  PipelineOutput out;
  std::size_t contour_stage = 0, encode_stage = 0;
  try {
    auto t = Clock::now();
    img = view_image(m, swapped);
    rep.stages_ms.emplace_back("decode", ms_since(t));
    out = pipeline_->process(img, /*contours=*/false);
    for (std::size_t i = 0; i < StageTimes::kCount; ++i) {
      if (std::strcmp(StageTimes::names()[i], "contours") == 0) contour_stage = rep.stages_ms.size();
      rep.stages_ms.emplace_back(StageTimes::names()[i], out.times.ms[i]);
    }
    rep.tracks = out.result.tracks;
    rep.unsegmented = out.result.unsegmented;

    t = Clock::now();
    clients = relay_.server().header_versions();
    HeaderVersions labels_for = clients;
    if (recorder_) labels_for.v1 = true;  // the recorder keeps version 1 label maps
    if (labels_for.any()) {
      ImageView labels(img, out.result.labels.data());  // dims, spacing, matrix, coordinate: bit for bit
      labels.scalar = ScalarType::UInt8;
      labels.components = 1;
      if (out.result.labels.size() != labels.pixel_bytes())
        throw std::logic_error("label map of " + std::to_string(out.result.labels.size()) + " bytes for a frame of " +
                               std::to_string(labels.pixel_bytes()) + " pixels");
      mask = encoded(Envelope{"IMAGE", opt_.mask_device, m.header.timestamp, 1, 0, {}}, labels_for,
                     [&](const Envelope& e) { return encode_image(e, labels); });
    }
    encode_stage = rep.stages_ms.size();
    rep.stages_ms.emplace_back("encode", ms_since(t));
  } catch (const std::exception& e) {
    rep.failed = true;
    rep.error = short_error(e);
    rep.tracks.clear();
    failed_.fetch_add(1);
    log_failure(rep.error);
    clients = relay_.server().header_versions();  // for the state message
  }
  if (mask.first || mask.second) relay_.server().broadcast(mask.first, mask.second);
  if (mask.first && recorder_) recorder_->on_labels(mask.first);
  rep.e2e_ms = ms_since(p.received);

  if (!rep.failed && clients.any()) {  // no client: no contours to send
    try {
      auto t = Clock::now();
      const PolyData contours = label_contours(out.result.labels.data(), img);
      rep.stages_ms[contour_stage].second = ms_since(t);
      t = Clock::now();
      const auto contour = encoded(Envelope{"POLYDATA", opt_.contour_device, m.header.timestamp, 1, 0, {}}, clients,
                                   [&](const Envelope& e) { return encode_polydata(e, contours); });
      rep.stages_ms[encode_stage].second += ms_since(t);
      if (contour.first || contour.second) relay_.server().broadcast(contour.first, contour.second);
    } catch (const std::exception& e) {
      // The label map is out and stands (the frame is not a failed one); only its contours are missing.
      log_failure("contours: " + short_error(e));
    }
  }
  const std::string json = frame_json(rep);
  const auto state = encoded(Envelope{"STRING", opt_.state_device, m.header.timestamp, 1, 0, {}}, clients,
                             [&](const Envelope& e) { return encode_string(e, Text{3, json}); });
  if (state.first || state.second) relay_.server().broadcast(state.first, state.second);
  processed_.fetch_add(1);
  if (kpi_.is_open()) kpi_ << json << '\n' << std::flush;
  std::lock_guard<std::mutex> lock(latencies_m_);
  latencies_.push_back(rep.e2e_ms);
}

void InferenceBridge::send_text(const std::string& device, const std::string& text) {
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto m = both_versions(Envelope{"STRING", device, timestamp_from_seconds(now), 1, 0, {}},
                               [&](const Envelope& e) { return encode_string(e, Text{3, text}); });
  relay_.server().broadcast(m.first, m.second);
}

InferenceStats InferenceBridge::stats() const {
  InferenceStats s;
  s.relay = relay_.stats();
  s.frames_in = slot_.received();
  s.dropped = slot_.dropped();
  s.processed = processed_.load();
  s.failed = failed_.load();
  if (const auto& pool = pipeline_->input_buffers()) {
    s.page_locked = pool->acquired();
    s.not_page_locked = pool->misses() + not_page_locked_.load();
  }
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
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "pipeline: %.1f frames/s in, %.1f out, %llu dropped busy (total %llu), %llu failed (total %llu), "
                "e2e p50 %.1f p95 %.1f p99 %.1f ms, %zu client(s), %llu client drops, upstream %s",
                double(now.frames_in - before.frames_in) / dt, double(now.processed - before.processed) / dt,
                static_cast<unsigned long long>(now.dropped - before.dropped),
                static_cast<unsigned long long>(now.dropped),
                static_cast<unsigned long long>(now.failed - before.failed),
                static_cast<unsigned long long>(now.failed), percentile(lat, 50), percentile(lat, 95),
                percentile(lat, 99), now.relay.clients, static_cast<unsigned long long>(now.relay.dropped),
                now.relay.upstream_connected ? "connected" : "not connected");
  return buf;
}

}  // namespace igtb
