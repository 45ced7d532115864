#include "tools/replay.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "transport/image_codec.hpp"
#include "transport/transform_codec.hpp"

namespace igtb {
namespace {

ServerOptions server_options(const ReplayOptions& o) {
  ServerOptions s;
  s.name = "replay";
  s.bind = o.bind;
  s.port = o.port;
  s.max_clients = 16;
  s.queue_messages = o.queue_messages;
  s.drop_when_full = false;
  s.initial_header_version = 1;  // as PlusServer: v1 until the client speaks v2
  s.port_key = "--port";
  return s;
}

const io::TrackedTransform* find_transform(const io::SequenceFrame& f, const std::string& name) {
  for (const auto& t : f.transforms)
    if (t.name == name) return &t;
  return nullptr;
}

std::array<std::uint16_t, 3> wire_dims(const io::Sequence& seq) {
  std::array<std::uint16_t, 3> d{};
  for (int i = 0; i < 3; ++i) {
    if (seq.frame_dims[i] == 0 || seq.frame_dims[i] > 65535)
      throw io::SequenceError(seq.path, "dims", "frame size " + std::to_string(seq.frame_dims[i]) +
                                                     " does not fit an IMAGE message (1..65535)");
    d[i] = static_cast<std::uint16_t>(seq.frame_dims[i]);
  }
  return d;
}

}  // namespace

std::array<float, 12> replay_image_matrix(const io::Sequence& seq, const io::SequenceFrame& frame) {
  Matrix4d m{};
  const auto* t = find_transform(frame, "ImageToReference");
  if (t && t->valid()) {
    m = t->matrix;
  } else {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) m[4 * r + c] = seq.direction[3 * r + c] * seq.spacing[c];
      m[4 * r + 3] = seq.origin[r];
    }
    m[15] = 1;
  }
  return wire_matrix_from_ijk_to_ras(m, wire_dims(seq));
}

ImageInfo replay_image_info(const io::Sequence& seq, std::size_t i) {
  ImageInfo info;
  info.dims = wire_dims(seq);
  info.subvolume_size = info.dims;
  if (seq.components == 0 || seq.components > 255)
    throw io::SequenceError(seq.path, "components", std::to_string(seq.components) + " does not fit an IMAGE message");
  info.components = static_cast<std::uint8_t>(seq.components);
  info.scalar = seq.scalar;
  info.matrix = replay_image_matrix(seq, seq.frames.at(i));
  return info;
}

Image replay_image(const io::Sequence& seq, std::size_t i) {
  Image img;
  static_cast<ImageInfo&>(img) = replay_image_info(seq, i);
  const std::uint8_t* p = seq.frame_pixels(i);
  img.pixels.assign(p, p + seq.frame_bytes());
  return img;
}

struct Replay::Encoded {
  std::vector<std::pair<SharedBytes, SharedBytes>> messages;  // (v1, v2): IMAGE then TRANSFORMs
  std::size_t transforms = 0;
  std::size_t transforms_skipped = 0;
};

Replay::Replay(ReplayOptions options) : opt_(std::move(options)), server_(server_options(opt_)) {
  if (opt_.files.empty()) throw std::invalid_argument("no sequence file given");
  for (const auto& f : opt_.files) {
    std::error_code ec;
    if (std::filesystem::is_directory(f, ec))
      throw std::invalid_argument("'" + f + "' is a directory: give the sequence files in it (igtbridge --record writes "
                                  "one series per IMAGE device, e.g. " + f + "/<session>_Image_Reference_001.igs.mha)");
    sequences_.push_back(io::read_sequence(f));
    const auto& s = sequences_.back();
    wire_dims(s);
    spdlog::info("replay: {}: {} frames of {}x{}x{} x{} {}", f, s.frames.size(), s.frame_dims[0], s.frame_dims[1],
                 s.frame_dims[2], s.components, scalar_name(s.scalar));
    cache_.emplace_back(s.frames.size());
  }
}

Replay::~Replay() { stop(); }

void Replay::start() {
  server_.start();
  spdlog::info("replay: serving on {}:{}", opt_.bind, server_.port());
}

void Replay::stop() {
  stop_ = true;
  server_.stop();
}

std::size_t Replay::frame_count() const {
  std::size_t n = 0;
  for (const auto& s : sequences_)
    for (const auto& f : s.frames) n += f.image_valid ? 1 : 0;
  return n;
}

const Replay::Encoded& Replay::encoded(std::size_t si, std::size_t fi) {
  auto& slot = cache_[si][fi];
  if (slot) return *slot;
  const auto& seq = sequences_[si];
  const auto& frame = seq.frames[fi];
  auto e = std::make_unique<Encoded>();
  const std::uint64_t ts = timestamp_from_seconds(frame.timestamp);
  const Image img = replay_image(seq, fi);
  Envelope env{"IMAGE", opt_.image_device, ts, 1};
  auto v1 = std::make_shared<const Bytes>(encode_image(env, img));
  env.header_version = 2;
  env.metadata.assign(frame.fields.begin(), frame.fields.end());
  auto v2 = std::make_shared<const Bytes>(encode_image(env, img));
  e->messages.emplace_back(v1, v2);
  for (const auto& t : frame.transforms) {
    if (!t.valid()) {
      ++e->transforms_skipped;
      continue;
    }
    Matrix4f m{};
    for (int k = 0; k < 16; ++k) m[k] = static_cast<float>(t.matrix[k]);
    Envelope tenv{"TRANSFORM", t.name, ts, 1};
    auto t1 = std::make_shared<const Bytes>(encode_transform(tenv, m));
    tenv.header_version = 2;
    tenv.metadata = {{"TransformStatus", "OK"}};
    auto t2 = std::make_shared<const Bytes>(encode_transform(tenv, m));
    e->messages.emplace_back(t1, t2);
    ++e->transforms;
  }
  slot = std::move(e);
  return *slot;
}

ReplayStats Replay::run() {
  ReplayStats st;
  if (opt_.wait_clients > 0) {
    spdlog::info("replay: waiting for {} client(s)", opt_.wait_clients);
    while (!stop_ && !server_.wait_for_clients(std::size_t(opt_.wait_clients), 500, &stop_)) {
    }
  }
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  double first_ts = -1;
  double ts_offset = 0;  // realtime pacing across loops and files
  double last_ts = 0;
  bool any_valid = frame_count() > 0;
  bool done = !any_valid;
  while (!stop_ && !done) {
    for (std::size_t si = 0; si < sequences_.size() && !stop_ && !done; ++si) {
      const auto& seq = sequences_[si];
      for (std::size_t fi = 0; fi < seq.frames.size() && !stop_ && !done; ++fi) {
        const auto& frame = seq.frames[fi];
        if (!frame.image_valid) {
          ++st.frames_skipped;
          continue;
        }
        // Pacing: when this frame is due.
        if (opt_.realtime) {
          if (first_ts < 0) first_ts = frame.timestamp;
          if (frame.timestamp + ts_offset < last_ts) ts_offset = last_ts - frame.timestamp + 1.0 / 30;
          last_ts = frame.timestamp + ts_offset;
          std::this_thread::sleep_until(start + std::chrono::duration_cast<clock::duration>(
                                                    std::chrono::duration<double>(last_ts - first_ts)));
        } else if (opt_.fps > 0) {
          std::this_thread::sleep_until(start + std::chrono::duration_cast<clock::duration>(
                                                    std::chrono::duration<double>(double(st.frames_sent) / opt_.fps)));
        }
        if (opt_.before_send) opt_.before_send(st.frames_sent);
        const Encoded& e = encoded(si, fi);
        for (const auto& [v1, v2] : e.messages) server_.broadcast(v1, v2);
        ++st.frames_sent;
        st.transforms_sent += e.transforms;
        st.transforms_skipped += e.transforms_skipped;
        done = opt_.count > 0 && st.frames_sent >= opt_.count;
      }
    }
    if (!opt_.loop) break;
  }
  // Let the clients read what is queued before the caller closes the server.
  if (!stop_ && !server_.drain(10000)) spdlog::warn("replay: clients did not read all queued frames within 10 s");
  return st;
}

}  // namespace igtb
