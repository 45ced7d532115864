// Session recording round trip: igtbridge-replay serves the PLUS Spine
// recording -> the bridge (demo models, CPU) records what arrives and what it
// produces -> the recorded files read back (and rebuilt as replay IMAGEs) equal
// the original frames: pixels, geometry, transforms, timestamps; the label-map
// series equals the label maps the clients received.
#include <dirent.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "bridge/inference_bridge.hpp"
#include "bridge/session_recorder.hpp"
#include "io/sequence.hpp"
#include "tools/listen.hpp"
#include "tools/replay.hpp"
#include "transport/image_codec.hpp"

// c10 defines a CHECK of its own; Catch's is the one meant here.
#include "../support/catch.hpp"

using namespace igtb;

namespace {

/// Removes the files of a flat directory, then the directory (no std::filesystem
/// iteration: it crashes in torch-linked binaries with the CUDA LibTorch 2.11 wheel).
void remove_dir(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") std::remove((dir + "/" + name).c_str());
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

double seconds(std::uint64_t wire_ts) { return timestamp_to_seconds(wire_ts); }

/// While alive, the default logger writes "<level> <message>" lines into a string.
struct LogCapture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  LogCapture() {
    auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::vector<std::string> lines_with(const std::string& part) {
    std::vector<std::string> found;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);)
      if (line.find(part) != std::string::npos) found.push_back(line);
    return found;
  }
};

/// An 8x6 uint8 frame whose pixels depend on `seed`.
Image small_image(std::uint8_t seed) {
  Image img;
  img.dims = {8, 6, 1};
  img.subvolume_size = img.dims;
  img.matrix = {0.5f, 0, 0, 0, 0.5f, 0, 0, 0, 1, 10, 20, 30};
  img.pixels.resize(img.pixel_bytes());
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(seed + i * 7);
  return img;
}

/// A received IMAGE message (valid framing and CRC) around `content`.
Message image_message(const std::string& device, double t, const Bytes& content) {
  const Bytes wire = frame_message(Envelope{"IMAGE", device, timestamp_from_seconds(t)}, content.data(), content.size());
  return decode_message(std::make_shared<Bytes>(wire), true);
}

Message good_image(const std::string& device, double t, std::uint8_t seed) {
  Bytes content;
  append_image_content(small_image(seed), content);
  return image_message(device, t, content);
}

/// A temporary directory, removed with its files at the end of the scope.
struct TempDir {
  std::string root, path;
  TempDir() {
    char t[] = "/tmp/igtb_record_bad_XXXXXX";
    REQUIRE(mkdtemp(t) != nullptr);
    root = t;
    path = root + "/session";
  }
  ~TempDir() {
    remove_dir(path);
    rmdir(root.c_str());
  }
};

}  // namespace

TEST_CASE("record -> read back: pixels, geometry, transforms and timestamps of every frame; label maps as sent") {
  const std::string source = std::string(IGTB_TEST_DATA_DIR) + "/SpinePhantomFreehand.igs.mha";
  const io::Sequence original = io::read_sequence(source);
  const std::size_t n = original.frames.size();
  REQUIRE(n >= 10);
  char dir_template[] = "/tmp/igtb_record_XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = std::string(dir_template) + "/session";  // created by the recorder

  ReplayOptions ro;
  ro.files = {source};
  ro.port = 0;
  ro.fps = 20;
  Replay replay(ro);
  replay.start();

  InferenceOptions io;
  io.relay.upstream.host = "127.0.0.1";
  io.relay.upstream.port = replay.port();
  io.relay.upstream.backoff_initial_s = 0.05;
  io.relay.upstream.backoff_max_s = 0.2;
  io.relay.downstream.port = 0;
  io.relay.downstream.queue_messages = 512;
  io.relay.downstream.drop_when_full = false;
  io.record.dir = dir;
  io.record.queue_frames = 4096;  // this test wants every frame on disk
  InferenceBridge bridge(io, std::make_unique<Pipeline>(PipelineOptions{}));
  bridge.start();

  std::mutex m;
  std::map<double, Image> masks_sent;  // by timestamp
  std::atomic<bool> stop{false};
  ListenOptions lo;
  lo.port = bridge.output_port();
  lo.timeout_s = 120;
  lo.idle_s = 3;
  ListenResult lr;
  std::thread listener([&] {
    lr = listen(lo, stop, [](const std::string&) {}, [&](const Message& msg) {
      if (msg.type() != "IMAGE" || msg.device() != "BoneMask") return;
      std::lock_guard<std::mutex> lock(m);
      masks_sent[seconds(msg.header.timestamp)] = decode_image(msg);
    });
  });
  for (int i = 0; i < 200 && bridge.stats().relay.clients < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  REQUIRE(bridge.stats().relay.clients == 1);
  const ReplayStats rs = replay.run();
  listener.join();
  bridge.stop();  // the recorder writes what is queued and closes its files

  REQUIRE(lr.exit_code == 0);
  REQUIRE(rs.frames_sent == n);
  const InferenceStats st = bridge.stats();
  REQUIRE(bridge.recorder() != nullptr);
  const RecorderStats rec = bridge.recorder()->stats();
  INFO("processed " << st.processed << ", dropped " << st.dropped << ", recorded images " << rec.images
                    << ", label maps " << rec.labels << ", skipped " << rec.skipped << ", failed " << rec.failed);
  CHECK(rec.images == n);
  CHECK(rec.labels == st.processed);
  CHECK(rec.skipped == 0);
  CHECK(rec.failed == 0);
  REQUIRE(rec.files.size() == 2);
  std::string image_file, label_file;
  for (const auto& f : rec.files) {
    if (f.find("_Image_Reference_001.igs.mhd") != std::string::npos) image_file = f;
    if (f.find("_BoneMask_001.igs.mhd") != std::string::npos) label_file = f;
  }
  REQUIRE_FALSE(image_file.empty());
  REQUIRE_FALSE(label_file.empty());
  CHECK(image_file.rfind(dir + "/", 0) == 0);

  {  // the input series: every frame as it arrived
    const io::Sequence got = io::read_sequence(image_file);
    REQUIRE(got.frames.size() == n);
    CHECK(got.frame_dims == original.frame_dims);
    CHECK(got.scalar == original.scalar);
    CHECK(got.components == original.components);
    CHECK(got.pixels == original.pixels);
    for (std::size_t i = 0; i < n; ++i) {
      INFO("frame " << i);
      const auto& o = original.frames[i];
      const auto& g = got.frames[i];
      // Timestamps travel as 32.32 fixed point and are written with 17 digits.
      CHECK(std::abs(g.timestamp - o.timestamp) < 1e-6);
      // Geometry: the IMAGE replay rebuilds from the recording is the one it
      // sent from the original (dims and all 12 matrix floats).
      const Image sent = replay_image(original, i);
      const Image again = replay_image(got, i);
      CHECK(again.dims == sent.dims);
      for (std::size_t k = 0; k < 12; ++k) CHECK(again.matrix[k] == Approx(sent.matrix[k]).margin(1e-5));
      CHECK(again.pixels == sent.pixels);
      // Every valid transform of the original frame, as the float32 TRANSFORM carried it.
      for (const auto& t : o.transforms) {
        if (!t.valid() || t.name == "ImageToReference") continue;
        const io::TrackedTransform* r = nullptr;
        for (const auto& c : g.transforms)
          if (c.name == t.name) r = &c;
        REQUIRE(r != nullptr);
        for (std::size_t k = 0; k < 16; ++k) CHECK(r->matrix[k] == double(float(t.matrix[k])));
      }
    }
  }
  {  // the label-map series: what the clients received
    const io::Sequence got = io::read_sequence(label_file);
    REQUIRE(got.frames.size() == st.processed);
    REQUIRE(masks_sent.size() == st.processed);
    std::size_t i = 0;
    for (const auto& [ts, img] : masks_sent) {
      INFO("label map " << i);
      CHECK(std::abs(got.frames[i].timestamp - ts) < 1e-6);
      const std::uint8_t* p = got.frame_pixels(i);
      CHECK(std::equal(img.pixels.begin(), img.pixels.end(), p));
      const Image again = replay_image(got, i);
      for (std::size_t k = 0; k < 12; ++k) CHECK(again.matrix[k] == Approx(img.matrix[k]).margin(1e-5));
      ++i;
    }
  }
  remove_dir(dir);
  rmdir(dir_template);
}

TEST_CASE("a malformed IMAGE is skipped and counted; the device's recording goes on with its next good frame") {
  // The three frame contents the recorder cannot take, each valid as a message (framing, CRC).
  Bytes bad;
  std::string why;
  SECTION("unknown scalar type") {
    append_image_content(small_image(0), bad);
    bad[3] = 99;  // the image header's scalar type byte
    why = "IMAGE scalar type 99 is unknown";
  }
  SECTION("pixel bytes not matching the dims") {
    append_image_content(small_image(0), bad);
    bad.resize(bad.size() - 5);
    why = "needs 48 pixel bytes, the message has 43";
  }
  SECTION("a partial image (subvolume)") {
    Image part = small_image(0);
    part.subvolume_size = {8, 3, 1};
    part.pixels.resize(part.pixel_bytes());
    append_image_content(part, bad);
    why = "partial IMAGE";
  }
  TempDir dir;
  LogCapture log;
  RecorderOptions o;
  o.dir = dir.path;
  o.queue_frames = 4096;  // every frame on disk
  SessionRecorder rec(o);
  rec.start();
  for (int i = 0; i < 3; ++i) rec.on_input(good_image("Probe", 100 + i, std::uint8_t(i)));
  rec.on_input(image_message("Probe", 103, bad));
  for (int i = 4; i < 7; ++i) rec.on_input(good_image("Probe", 100 + i, std::uint8_t(i)));
  rec.stop();

  const RecorderStats st = rec.stats();
  CHECK(st.images == 6);
  CHECK(st.skipped_malformed == 1);
  CHECK(st.failed == 0);
  CHECK(st.skipped == 0);
  REQUIRE(st.files.size() == 1);  // the bad frame neither ended the series nor started a new file
  const io::Sequence got = io::read_sequence(st.files[0]);
  REQUIRE(got.frames.size() == 6);
  const double expected_t[] = {100, 101, 102, 104, 105, 106};
  for (std::size_t k = 0; k < 6; ++k) {
    INFO("frame " << k);
    CHECK(std::abs(got.frames[k].timestamp - expected_t[k]) < 1e-6);
    const Image want = small_image(std::uint8_t(expected_t[k] - 100));
    CHECK(std::equal(want.pixels.begin(), want.pixels.end(), got.frame_pixels(k)));
  }
  const auto warned = log.lines_with("Probe");
  REQUIRE(warned.size() == 1);
  CHECK(warned[0].rfind("warning record: Probe: frame skipped", 0) == 0);
  CHECK(warned[0].find(why) != std::string::npos);
  CHECK(log.lines_with("error").empty());
}

TEST_CASE("many malformed IMAGEs of a device: one warning, one summary at stop, every one counted") {
  TempDir dir;
  LogCapture log;
  RecorderOptions o;
  o.dir = dir.path;
  o.queue_frames = 4096;
  SessionRecorder rec(o);
  rec.start();
  rec.on_input(good_image("Probe", 100, 1));
  for (int i = 0; i < 50; ++i) {
    Bytes bad;
    append_image_content(small_image(0), bad);
    bad.resize(bad.size() - 1 - i % 7);  // the sizes in the error vary, the reason does not
    rec.on_input(image_message("Probe", 101 + i, bad));
  }
  rec.on_input(good_image("Probe", 200, 2));
  rec.stop();

  const RecorderStats st = rec.stats();
  CHECK(st.images == 2);
  CHECK(st.skipped_malformed == 50);
  CHECK(st.failed == 0);
  const auto lines = log.lines_with("Probe");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("frame skipped") != std::string::npos);
  CHECK(lines[1].find("49 more frames skipped in the last") != std::string::npos);
  CHECK(lines[1].find("(50 in all) for Probe: IMAGE #x#x# x# uint# needs # pixel bytes") != std::string::npos);
}
