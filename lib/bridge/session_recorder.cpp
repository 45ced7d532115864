#include "bridge/session_recorder.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "io/sequence_recorder.hpp"
#include "transport/image_codec.hpp"
#include "transport/transform_codec.hpp"

namespace igtb {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

std::string session_stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", &tm);
  return buf;
}

/// mkdir -p with POSIX calls (std::filesystem misbehaves in binaries linked
/// with the CUDA LibTorch 2.11 wheel, see the GPU notes). "" if it exists now.
std::string make_directories(const std::string& dir) {
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    const std::string part = dir.substr(0, i);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return part + ": " + std::strerror(errno);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return "not a directory";
  return {};
}

/// Device names may hold any printable character; file names get [A-Za-z0-9_.-].
std::string file_safe(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '_';
  return out.empty() ? "image" : out;
}

}  // namespace

struct SessionRecorder::Series {
  std::unique_ptr<io::SequenceRecorder> file;
  int index = 0;
  Clock::time_point last_header{};
  bool broken = false;  ///< a write failed: this device is no longer recorded
};

SessionRecorder::SessionRecorder(RecorderOptions options) : opt_(std::move(options)), session_(session_stamp()) {
  if (opt_.dir.empty()) throw std::runtime_error("record.dir: no directory given");
  if (opt_.queue_frames == 0) throw std::runtime_error("record.queue_frames must be at least 1");
  if (const std::string why = make_directories(opt_.dir); !why.empty())
    throw std::runtime_error("record.dir: cannot create directory '" + opt_.dir + "': " + why);
  // Writable? A probe file, removed at once.
  const std::string probe = opt_.dir + "/.igtbridge_write_test";
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) throw std::runtime_error("record.dir: cannot write in '" + opt_.dir + "'");
  std::fclose(f);
  std::remove(probe.c_str());
}

SessionRecorder::~SessionRecorder() { stop(); }

void SessionRecorder::start() {
  if (writer_.joinable()) return;
  writer_ = std::thread([this] { run(); });
  spdlog::info("record: writing to {} (files {}_<device>_<NNN>.igs.mhd)", opt_.dir, session_);
}

void SessionRecorder::stop() {
  {
    std::lock_guard<std::mutex> lock(m_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  for (auto& [device, s] : series_) {
    if (!s->file) continue;
    try {
      s->file->close();
    } catch (const std::exception& e) {
      spdlog::error("record: {}", e.what());
    }
    s->file.reset();
  }
  report_malformed(true);
  const RecorderStats st = stats();
  if (!st.files.empty() || st.skipped || st.skipped_malformed)
    spdlog::info("record: {} images and {} label maps written, {} skipped (disk too slow), {} skipped (malformed), "
                 "{} failed, in {} file(s)",
                 st.images, st.labels, st.skipped, st.skipped_malformed, st.failed, st.files.size());
}

void SessionRecorder::on_input(const Message& m) {
  if (m.type() == "IMAGE" || m.type() == "TRANSFORM") push(Item{m, false});
}

void SessionRecorder::on_labels(const SharedBytes& wire) {
  try {
    push(Item{decode_message(wire, false), true});
  } catch (const std::exception&) {  // our own encoding: not expected
    std::lock_guard<std::mutex> lock(m_);
    ++stats_.failed;
  }
}

void SessionRecorder::push(Item item) {
  std::unique_lock<std::mutex> lock(m_);
  if (stopping_) return;
  const bool frame = item.msg.type() == "IMAGE";
  // Frames are bounded by queue_frames; transforms (~200 bytes) by 64 per frame.
  if ((frame && queued_frames_ >= opt_.queue_frames) || queue_.size() >= 64 * opt_.queue_frames) {
    ++stats_.skipped;
    ++skipped_unlogged_;
    const std::int64_t now = now_ms();
    if (last_skip_log_ms_ < 0 || now - last_skip_log_ms_ >= 5000) {
      const auto n = skipped_unlogged_, total = stats_.skipped;
      skipped_unlogged_ = 0;
      last_skip_log_ms_ = now;
      lock.unlock();
      spdlog::warn("record: the disk is not keeping up: {} frame(s) skipped ({} in all); the pipeline is not slowed",
                   n, total);
    }
    return;
  }
  queue_.push_back(std::move(item));
  queued_frames_ += frame ? 1 : 0;
  lock.unlock();
  cv_.notify_one();
}

void SessionRecorder::run() {
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(m_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {  // stopping, and everything queued is taken
        lock.unlock();
        if (pending_image_) write(*pending_image_, false);
        pending_image_.reset();
        return;
      }
      item = std::move(queue_.front());
      queue_.pop_front();
      queued_frames_ -= item.msg.type() == "IMAGE" ? 1 : 0;
    }
    take(item);
    report_malformed(false);
  }
}

void SessionRecorder::take(const Item& item) {
  if (item.labels) {
    write(item.msg, true);
    return;
  }
  if (item.msg.type() == "TRANSFORM") {
    try {
      const Matrix4f m = decode_transform(item.msg);
      Seen seen{timestamp_to_seconds(item.msg.header.timestamp), {}};
      for (std::size_t k = 0; k < 16; ++k) seen.matrix[k] = double(m[k]);
      auto& recent = transforms_[item.msg.device()];
      recent.push_back(seen);
      if (recent.size() > 4) recent.pop_front();
    } catch (const std::exception& e) {
      spdlog::warn("record: TRANSFORM {} not recorded: {}", item.msg.device(), e.what());
    }
    return;
  }
  // An IMAGE: the one before it has had its chance to get its transforms.
  if (pending_image_) write(*pending_image_, false);
  pending_image_ = item.msg;
}

void SessionRecorder::write(const Message& image, bool labels) {
  const std::string device = image.device();
  auto& slot = series_[device];
  if (!slot) slot = std::make_unique<Series>();
  Series& s = *slot;
  if (s.broken) return;
  // The content first, before any file changes: a frame that cannot be
  // recorded is skipped whole and the device's recording goes on.
  Image img;
  try {
    img = decode_image(image);  // ProtocolError for a content that does not decode
    if (img.subvolume_size != img.dims)
      throw ProtocolError("'" + device + "': a partial IMAGE (subvolume) is not a whole frame");
  } catch (const ProtocolError& e) {
    skip_malformed(device, e.what());
    return;
  } catch (const std::exception& e) {  // out of memory and the like: not the content's fault
    {
      std::lock_guard<std::mutex> lock(m_);
      ++stats_.failed;
    }
    spdlog::error("record: {}: {}; no longer recording '{}'", device, e.what(), device);
    s.broken = true;
    s.file.reset();
    return;
  }
  try {
    const std::array<std::uint32_t, 3> dims{img.dims[0], img.dims[1], img.dims[2]};
    if (s.file && (!s.file->accepts(dims, img.components, img.scalar) ||
                   s.file->frames() >= opt_.max_frames_per_file)) {
      s.file->close();
      s.file.reset();
    }
    if (!s.file) {
      io::Sequence format;
      format.frame_dims = dims;
      format.components = img.components;
      format.scalar = img.scalar;
      // Pixel geometry lives in each frame's ImageToReference (as PLUS writes
      // tracked frames); the header's own geometry stays the identity.
      format.fields["UltrasoundImageOrientation"] = "MF";
      format.fields["UltrasoundImageType"] = img.components == 1 ? "BRIGHTNESS" : "RGB_COLOR";
      char index[16];
      std::snprintf(index, sizeof index, "%03d", ++s.index);
      const std::string base = opt_.dir + "/" + session_ + "_" + file_safe(device) + "_" + index;
      s.file = std::make_unique<io::SequenceRecorder>(base, format, opt_.compress);
      s.last_header = {};
      std::lock_guard<std::mutex> lock(m_);
      stats_.files.push_back(s.file->header_path());
    }
    io::SequenceFrame f;
    f.timestamp = timestamp_to_seconds(image.header.timestamp);
    if (!labels) {
      for (const auto& [name, recent] : transforms_) {
        if (name == "ImageToReference" || recent.empty()) continue;  // the IMAGE's own geometry takes that name
        const Seen* pick = nullptr;
        for (const Seen& v : recent)
          if (v.timestamp == f.timestamp) pick = &v;
        if (!pick)
          for (const Seen& v : recent)
            if (v.timestamp <= f.timestamp) pick = &v;
        if (!pick) pick = &recent.back();
        io::TrackedTransform tt;
        tt.name = name;
        tt.matrix = pick->matrix;
        f.transforms.push_back(std::move(tt));
      }
    }
    io::TrackedTransform geometry;
    geometry.name = "ImageToReference";
    geometry.matrix = ijk_to_ras_from_wire(img.matrix, img.dims);
    f.transforms.push_back(std::move(geometry));
    s.file->append(img.pixels.data(), img.pixels.size(), std::move(f));
    const auto now = Clock::now();
    if (now - s.last_header >= std::chrono::duration<double>(opt_.header_interval_s)) {
      s.file->write_header();
      s.last_header = now;
    }
    std::lock_guard<std::mutex> lock(m_);
    ++(labels ? stats_.labels : stats_.images);
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> lock(m_);
      ++stats_.failed;
    }
    spdlog::error("record: {}: {}; no longer recording '{}'", device, e.what(), device);
    s.broken = true;
    s.file.reset();
  }
}

void SessionRecorder::skip_malformed(const std::string& device, const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(m_);
    ++stats_.skipped_malformed;
  }
  // decode_image names the device first ("'<device>': ..."); the key has it once.
  std::string reason = why;
  if (const std::string named = "'" + device + "': "; reason.rfind(named, 0) == 0) reason.erase(0, named.size());
  if (malformed_log_.should_log(device + ": " + stable_reason(reason)))
    spdlog::warn("record: {}: frame skipped, its content cannot be recorded: {}; recording goes on with the next "
                 "good frame (further ones like it are counted, summarized every {:g} s)",
                 device, reason, malformed_log_.interval_s());
}

void SessionRecorder::report_malformed(bool final) {
  for (const auto& s : final ? malformed_log_.flush() : malformed_log_.due())
    spdlog::warn("record: {} more frame{} skipped in the last {:g} s ({} in all) for {}", s.count,
                 s.count == 1 ? "" : "s", s.seconds_rounded(), s.total, s.key);
}

RecorderStats SessionRecorder::stats() const {
  std::lock_guard<std::mutex> lock(m_);
  return stats_;
}

}  // namespace igtb
