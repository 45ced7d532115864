// A 3D IMAGE through the segment shape over real sockets (listen mode): a
// sender streams volumes (the two-class scene's frames as slices) and a 2D
// frame; the client gets each volume's label volume with the input's
// geometry bit for bit, its voxels per class in the state, no contours; the
// 2D frame after it gets its tracks and contours as ever.
#include "bridge/inference_bridge.hpp"

#include <cstring>
#include <map>
#include <regex>
#include <thread>

#include "../support/eventually.hpp"
#include "../support/synthetic_scene.hpp"
#include "../support/two_class_model.hpp"
#include "transport/image_codec.hpp"
#include "transport/message_reader.hpp"
#include "transport/socket.hpp"
#include "transport/string_codec.hpp"

#include "../support/catch.hpp"

using namespace igtb;
using namespace std::chrono_literals;

namespace {

constexpr int kDepth = 4;

Image volume(const test::Scene& scene, int first) {
  Image v;
  v.dims = {std::uint16_t(scene.width), std::uint16_t(scene.height), std::uint16_t(kDepth)};
  v.subvolume_size = v.dims;
  v.matrix = {0, 0.25f, 0, -0.25f, 0, 0, 0, 0, 1.5f, 10.5f, -3.25f, 7};  // a rotated 3D probe
  for (int f = first; f < first + kDepth; ++f) {
    const auto px = scene.frame(f);
    v.pixels.insert(v.pixels.end(), px.begin(), px.end());
  }
  return v;
}

}  // namespace

TEST_CASE("3D volumes through the segment shape: label volumes with the input's geometry, voxels per class") {
  InferenceOptions io;
  io.relay.input_mode = "listen";
  io.relay.upstream.port = 0;
  io.relay.downstream.port = 0;
  io.relay.downstream.queue_messages = 256;
  io.relay.downstream.drop_when_full = false;
  PipelineOptions po;
  po.kind = PipelineKind::Segment;
  po.semantic.model = test::save_two_class_model("volume_two_class", 160);
  InferenceBridge bridge(io, std::make_unique<Pipeline>(po));
  bridge.start();

  Socket client = Socket::connect_tcp("127.0.0.1", bridge.output_port(), 1000);
  REQUIRE(test::eventually([&] { return bridge.stats().relay.clients == 1; }));
  std::mutex m;
  std::map<double, Image> masks;
  std::map<double, std::string> states;
  std::map<double, int> contours;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    MessageReader r(client, ReaderOptions{}, "test client");
    pump_messages(r, done, [&](Message&& msg) {
      std::lock_guard<std::mutex> lock(m);
      const double t = timestamp_to_seconds(msg.header.timestamp);
      if (msg.device() == "BoneMask") masks[t] = decode_image(msg);
      if (msg.device() == "BoneMaskState") states[t] = decode_string(msg).text;
      if (msg.type() == "POLYDATA") ++contours[t];
    });
  });

  const test::Scene scene = test::two_class_scene();
  std::map<double, Image> sent;
  Socket sender = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
  for (int i = 0; i < 4; ++i) {
    const double t = 50.0 + i;
    sent[t] = i < 3 ? volume(scene, i * kDepth) : test::scene_image(scene, 0);
    const Bytes b = encode_image(Envelope{"IMAGE", "Image_Reference", timestamp_from_seconds(t), 2, 0, {}}, sent[t]);
    sender.send_all(b.data(), b.size());
    // One at a time: the newest frame wins the mailbox, and this test wants each.
    REQUIRE(test::eventually([&] {
      std::lock_guard<std::mutex> lock(m);
      return states.count(t) > 0;
    }, 30s));
  }
  // A frame's contours go out before its state message: all are in.
  done = true;
  client.shutdown();
  reader.join();
  bridge.stop();

  const InferenceStats st = bridge.stats();
  CHECK(st.failed == 0);
  CHECK(st.unsupported == 0);
  CHECK(st.processed == 4);
  static const std::regex voxels_re(R"re("voxels": \{"1": (\d+), "2": (\d+)\})re");
  for (const auto& [t, in] : sent) {
    INFO("t " << t);
    REQUIRE(masks.count(t) == 1);
    const Image& mask = masks.at(t);
    CHECK(mask.dims == in.dims);
    CHECK(std::memcmp(mask.matrix.data(), in.matrix.data(), sizeof(float) * 12) == 0);
    CHECK(mask.scalar == ScalarType::UInt8);
    const std::string& state = states.at(t);
    CHECK(state.find("\"failed\": false") != std::string::npos);
    if (in.dims[2] == 1) {  // the 2D frame: tracked, with contours
      CHECK(state.find("\"class\": 1") != std::string::npos);
      CHECK(state.find("\"voxels\"") == std::string::npos);
      CHECK(contours[t] == 1);
      continue;
    }
    CHECK(contours[t] == 0);
    CHECK(state.find("\"tracks\": []") != std::string::npos);
    std::smatch sm;
    REQUIRE(std::regex_search(state, sm, voxels_re));
    CHECK(std::stoull(sm[1]) == std::uint64_t(std::count(mask.pixels.begin(), mask.pixels.end(), 1)));
    CHECK(std::stoull(sm[2]) == std::uint64_t(std::count(mask.pixels.begin(), mask.pixels.end(), 2)));
    const int first = int(t - 50.0) * kDepth;
    const std::size_t plane = std::size_t(scene.width * scene.height);
    for (int k = 0; k < kDepth; ++k) {
      INFO("slice " << k);
      CHECK(test::label_iou(mask.pixels.data() + plane * std::size_t(k), scene, 0, first + k, 1) >= 0.9);
      CHECK(test::label_iou(mask.pixels.data() + plane * std::size_t(k), scene, 1, first + k, 2) >= 0.9);
    }
  }
}
