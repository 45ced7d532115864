// Several image streams into one bridge (listen mode, demo models, CPU): two
// IMAGE devices with different scenes, sizes and geometry, interleaved on one
// connection. With one pipeline per device each stream gets its own tracker
// and outputs (<device>_N): the label maps keep their own input's geometry and
// disks, the tracks never mix. With one pipeline the second device is ignored
// and counted, never fed into the first one's tracker.
// Built twice: test_lanes (CPU) and, with IGTB_LANES_CUDA, test_lanes_cuda
// (label gpu: the two lanes' pipelines on CUDA, each with its own streams
// and page-locked input buffers, lane N on GPU N where the machine has two,
// as models.stream_devices puts them; exits 77, skipped, without CUDA).
#include "../support/eventually.hpp"
#include "../support/time_scale.hpp"
#include "bridge/inference_bridge.hpp"

#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "../support/synthetic_scene.hpp"
#include "transport/image_codec.hpp"
#include "transport/socket.hpp"
#include "transport/string_codec.hpp"

#ifdef IGTB_LANES_CUDA
#include <torch/cuda.h>

#include <cstdio>
#define CATCH_CONFIG_RUNNER
#endif
#undef CHECK
#include <catch2/catch.hpp>

using namespace igtb;
using namespace std::chrono_literals;

namespace {

using igtb::test::eventually;

constexpr int kFrames = 12;

test::Scene one_disk_scene() {
  test::Scene s;
  s.width = 256;
  s.height = 200;
  s.seed = 99;
  s.disks = {test::Disk{128, 100, 1.0, -0.5, 40}};
  return s;
}

struct Stream {
  std::string device;
  test::Scene scene;
  std::array<float, 12> matrix;
};

std::vector<Stream> two_streams() {
  return {{"ProbeA", test::two_disks_scene(), {1, 0, 0, 0, 1, 0, 0, 0, 1, 5, 6, 7}},
          {"ProbeB", one_disk_scene(), {0, 0.5f, 0, -0.5f, 0, 0, 0, 0, 1, -20, 30, 40}}};
}

Bytes stream_frame(const Stream& s, int f) {
  return encode_image(Envelope{"IMAGE", s.device, timestamp_from_seconds(100.0 + f), 1, 0, {}},
                      test::scene_image(s.scene, f, s.matrix));
}

/// Track ids in a state JSON.
std::size_t track_count(const std::string& json) {
  static const std::regex track(R"re(\{"id": (\d+), "state")re");
  return std::size_t(std::distance(std::sregex_iterator(json.begin(), json.end(), track), std::sregex_iterator()));
}

/// Fraction of the scene's disk pixels labelled (any id) and of the labelled pixels inside a disk.
std::pair<double, double> coverage(const Image& labels, const test::Scene& s, int f) {
  std::size_t disk = 0, hit = 0, labelled = 0, inside = 0;
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x) {
      bool in = false;
      for (std::size_t d = 0; d < s.disks.size(); ++d) in = in || s.inside(d, f, x, y);
      const bool l = labels.pixels[std::size_t(y * s.width + x)] != 0;
      disk += in;
      hit += in && l;
      labelled += l;
      inside += in && l;
    }
  return {disk ? double(hit) / double(disk) : 1.0, labelled ? double(inside) / double(labelled) : 1.0};
}

struct Client {
  std::mutex m;
  std::map<std::string, std::map<int, Image>> images;        // device -> frame -> label map
  std::map<std::string, std::vector<std::string>> states;    // device -> state JSONs in arrival order
  std::atomic<bool> done{false};
  Socket socket;
  std::thread reader;

  explicit Client(std::uint16_t port) : socket(Socket::connect_tcp("127.0.0.1", port, 1000)) {
    reader = std::thread([this] {
      MessageReader r(socket, ReaderOptions{}, "test client");
      pump_messages(r, done, [this](Message&& msg) {
        std::lock_guard<std::mutex> lock(m);
        const int f = int(std::lround(timestamp_to_seconds(msg.header.timestamp) - 100.0));
        if (msg.type() == "IMAGE") images[msg.device()][f] = decode_image(msg);
        if (msg.type() == "STRING") states[msg.device()].push_back(decode_string(msg).text);
      });
    });
  }
  std::size_t count(const std::string& device) {
    std::lock_guard<std::mutex> lock(m);
    return images.count(device) ? images[device].size() : 0;
  }
  void close() {
    done = true;
    socket.shutdown();
    reader.join();
  }
  ~Client() {  // a failed REQUIRE before close() must not leave a joinable thread
    if (reader.joinable()) close();
  }
};

InferenceOptions listen_options(std::vector<std::string> image_devices) {
  InferenceOptions io;
  io.relay.input_mode = "listen";
  io.relay.upstream.port = 0;
  io.relay.downstream.port = 0;
  io.relay.downstream.queue_messages = 256;
  io.relay.downstream.drop_when_full = false;
  io.relay.image_devices = std::move(image_devices);
  return io;
}

/// Lane `lane`'s device: the CPU, or on CUDA GPU `lane` where there are that many.
std::string lane_device(std::size_t lane) {
#ifdef IGTB_LANES_CUDA
  return "cuda:" + std::to_string(lane % std::size_t(torch::cuda::device_count()));
#else
  (void)lane;
  return "cpu";
#endif
}

std::unique_ptr<Pipeline> demo_pipeline(std::size_t lane = 0) {
  PipelineOptions po;
  po.device = lane_device(lane);
  po.warmup_frames = 0;
  return std::make_unique<Pipeline>(po);
}

}  // namespace

TEST_CASE("two IMAGE devices, one pipeline each: own outputs, own geometry, own tracks") {
  const auto streams = two_streams();
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  pipelines.push_back(demo_pipeline(0));
  pipelines.push_back(demo_pipeline(1));
  INFO("pipelines on " << pipelines[0]->device().str() << " and " << pipelines[1]->device().str());
  CHECK(pipelines[1]->device().str() == lane_device(1));
  InferenceBridge bridge(listen_options({"ProbeA", "ProbeB"}), std::move(pipelines));
  REQUIRE(bridge.lanes() == 2);
  CHECK(bridge.output_devices(0) == std::array<std::string, 3>{"BoneMask_1", "BoneContour_1", "BoneMaskState_1"});
  CHECK(bridge.output_devices(1) == std::array<std::string, 3>{"BoneMask_2", "BoneContour_2", "BoneMaskState_2"});
  bridge.start();
  Client client(bridge.output_port());
  REQUIRE(eventually([&] { return bridge.stats().relay.clients == 1; }));

  // Interleaved on one connection, A then B per frame; the next pair goes
  // once both label maps are back, so no mailbox has to drop.
  Socket sender = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
  const auto wait = std::chrono::milliseconds(int(30000 * test::time_scale()));
  for (int f = 0; f < kFrames; ++f) {
    for (const auto& s : streams) {
      const Bytes b = stream_frame(s, f);
      sender.send_all(b.data(), b.size());
    }
    REQUIRE(eventually([&] { return client.count("BoneMask_1") > std::size_t(f) && client.count("BoneMask_2") > std::size_t(f); },
                       wait));
  }
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(client.m);
    return client.states["BoneMaskState_1"].size() == kFrames && client.states["BoneMaskState_2"].size() == kFrames;
  }, wait));
  bridge.stop();
  client.close();

  const InferenceStats st = bridge.stats();
  CHECK(st.frames_in == 2 * kFrames);
  CHECK(st.processed == 2 * kFrames);
  CHECK(st.dropped == 0);
  CHECK(st.failed == 0);
  CHECK(st.ignored == 0);
#ifdef IGTB_LANES_CUDA
  CHECK(st.page_locked == 2 * kFrames);  // each lane's frames received into its own pipeline's buffers
  CHECK(st.not_page_locked == 0);
#endif
  CHECK(client.images.count("BoneMask") == 0);  // no unsuffixed output with two lanes
  for (std::size_t lane = 0; lane < streams.size(); ++lane) {
    const Stream& s = streams[lane];
    const std::string n = std::to_string(lane + 1);
    const auto& masks = client.images["BoneMask_" + n];
    const auto& states = client.states["BoneMaskState_" + n];
    REQUIRE(masks.size() == kFrames);
    REQUIRE(states.size() == kFrames);
    for (int f = 0; f < kFrames; ++f) {
      INFO(s.device << " frame " << f);
      const Image& m = masks.at(f);
      CHECK(m.dims == std::array<std::uint16_t, 3>{std::uint16_t(s.scene.width), std::uint16_t(s.scene.height), 1});
      CHECK(m.matrix == s.matrix);
      // Each lane counts its own frames and names its own input device.
      const std::string& json = states[std::size_t(f)];
      INFO(json);
      CHECK(json.find("\"frame\": " + std::to_string(f + 1) + ",") != std::string::npos);
      CHECK(json.find("\"device\": \"" + s.device + "\"") != std::string::npos);
      // Its tracker sees only its own disks: two tracks for A, one for B, never three.
      if (f >= 3) {
        CHECK(track_count(json) == s.scene.disks.size());
        const auto [found, precise] = coverage(m, s.scene, f);
        CHECK(found >= 0.9);
        CHECK(precise >= 0.9);
      }
    }
  }
}

TEST_CASE("one pipeline, two IMAGE devices: the first is tracked, the second ignored and counted; after the "
          "first falls silent the second takes over with its own tracks") {
  const auto streams = two_streams();
  InferenceOptions io = listen_options({});
  io.rebind_after_s = 0.5 * test::time_scale();  // longer than any stall between A(f) and B(f)
  InferenceBridge bridge(io, demo_pipeline());
  REQUIRE(bridge.lanes() == 1);
  CHECK(bridge.output_devices(0) == std::array<std::string, 3>{"BoneMask", "BoneContour", "BoneMaskState"});
  bridge.start();
  Client client(bridge.output_port());
  REQUIRE(eventually([&] { return bridge.stats().relay.clients == 1; }));
  Socket sender = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
  const auto wait = std::chrono::milliseconds(int(30000 * test::time_scale()));
  for (int f = 0; f < 6; ++f) {
    for (const auto& s : streams) {
      const Bytes b = stream_frame(s, f);
      sender.send_all(b.data(), b.size());
    }
    REQUIRE(eventually([&] { return client.count("BoneMask") > std::size_t(f); }, wait));
  }
  REQUIRE(eventually([&] { return bridge.stats().ignored == 6; }, wait));
  // A frame's state goes out after its label map (and contours): wait for the sixth.
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(client.m);
    return client.states["BoneMaskState"].size() == 6;
  }, wait));
  {
    std::lock_guard<std::mutex> lock(client.m);
    for (const auto& [f, m] : client.images["BoneMask"]) {
      INFO("frame " << f);
      CHECK(m.dims == std::array<std::uint16_t, 3>{320, 240, 1});  // ProbeA's frames only
      CHECK(m.matrix == streams[0].matrix);
    }
    REQUIRE(client.states["BoneMaskState"].size() == 6);
    for (const auto& json : client.states["BoneMaskState"]) CHECK(json.find("ProbeB") == std::string::npos);
    CHECK(track_count(client.states["BoneMaskState"].back()) == 2);
  }
  // ProbeA falls silent (a PlusServer restarted with other names): after
  // rebind_after_s ProbeB's frames take the pipeline, whose tracks start anew
  // (one disk: one track, not ProbeA's two lingering).
  std::this_thread::sleep_for(std::chrono::duration<double>(1.4 * io.rebind_after_s));
  for (int f = 6; f < 12; ++f) {
    const Bytes b = stream_frame(streams[1], f);
    sender.send_all(b.data(), b.size());
    REQUIRE(eventually([&] { return client.count("BoneMask") > std::size_t(f); }, wait));
  }
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(client.m);
    return client.states["BoneMaskState"].size() == 12;
  }, wait));
  bridge.stop();
  client.close();
  const InferenceStats st = bridge.stats();
  CHECK(st.processed == 12);
  CHECK(st.frames_in == 12);
  CHECK(st.ignored == 6);
  for (int f = 6; f < 12; ++f) {
    INFO("frame " << f);
    const Image& m = client.images["BoneMask"].at(f);
    CHECK(m.dims == std::array<std::uint16_t, 3>{256, 200, 1});
    CHECK(m.matrix == streams[1].matrix);
    const std::string& json = client.states["BoneMaskState"][std::size_t(f)];
    INFO(json);
    CHECK(json.find("\"device\": \"ProbeB\"") != std::string::npos);
    CHECK(track_count(json) == 1);
  }
}

TEST_CASE("one pipeline, one IMAGE device listed: that device, never another") {
  const auto streams = two_streams();
  InferenceOptions io = listen_options({"ProbeB"});
  io.rebind_after_s = 0.1;
  InferenceBridge bridge(io, demo_pipeline());
  bridge.start();
  CHECK_THROWS_AS(bridge.start(), std::logic_error);  // once only
  Client client(bridge.output_port());
  REQUIRE(eventually([&] { return bridge.stats().relay.clients == 1; }));
  Socket sender = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
  const auto wait = std::chrono::milliseconds(int(30000 * test::time_scale()));
  for (int f = 0; f < 3; ++f) {
    for (const auto& s : streams) {
      const Bytes b = stream_frame(s, f);
      sender.send_all(b.data(), b.size());
    }
    REQUIRE(eventually([&] { return client.count("BoneMask") > std::size_t(f); }, wait));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // longer than rebind_after_s: no rebinding anyway
  }
  bridge.stop();
  client.close();
  CHECK(bridge.stats().processed == 3);
  CHECK(bridge.stats().ignored == 0);  // the relay's device filter never lets ProbeA through
  for (const auto& [f, m] : client.images["BoneMask"]) CHECK(m.dims == std::array<std::uint16_t, 3>{256, 200, 1});
}

TEST_CASE("pipelines and listed IMAGE devices must pair up") {
  std::vector<std::unique_ptr<Pipeline>> two;
  two.push_back(demo_pipeline());
  two.push_back(demo_pipeline());
  CHECK_THROWS_WITH(InferenceBridge(listen_options({"ProbeA"}), std::move(two)),
                    Catch::Contains("2 pipelines for 1 IMAGE devices"));
  std::vector<std::unique_ptr<Pipeline>> none;
  CHECK_THROWS_AS(InferenceBridge(listen_options({}), std::move(none)), std::invalid_argument);
}

#ifdef IGTB_LANES_CUDA
int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::printf("skipped: no CUDA device (this LibTorch build or machine)\n");
    return 77;
  }
  std::printf("test_lanes_cuda: %d CUDA device(s); the two lanes on %s and %s\n", int(torch::cuda::device_count()),
              lane_device(0).c_str(), lane_device(1).c_str());
  return Catch::Session().run(argc, argv);
}
#endif
