// End to end on the CPU for the segment shape (pipeline.kind: segment): a
// synthetic recording of two classes of object (tests/support:
// two_class_scene, one object leaving and coming back) -> replay -> the
// bridge with a two-class semantic network saved as aigt saves one -> a
// listening client. Checked per frame: each class's label map against the
// true object (IoU >= 0.9), the label map's and the probability map's
// geometry against the input IMAGE bit for bit, stable track ids with their
// classes, the visibility states, and one contour loop per object.
#include "bridge/inference_bridge.hpp"

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "../support/e2e_recording.hpp"
#include "../support/synthetic_scene.hpp"
#include "../support/time_scale.hpp"
#include "../support/two_class_model.hpp"
#include "tools/listen.hpp"
#include "tools/replay.hpp"
#include "transport/image_codec.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/string_codec.hpp"

#include "../support/catch.hpp"

using namespace igtb;

namespace {

constexpr int kFrames = 30;

struct Received {
  std::map<int, Image> inputs, masks, probabilities;
  std::map<int, PolyData> contours;
  std::map<int, std::string> states;
};

}  // namespace

TEST_CASE("replay -> igtbridge (segment shape, CPU) -> listen: classes, geometry, ids, states, probability") {
  const test::Scene scene = test::two_class_scene();
  const std::string recording = test::write_recording(scene, kFrames, "igtb_e2e_two_classes");

  Received got;
  std::mutex m;
  std::condition_variable got_mask;
  // Each frame goes out once the previous frame's label map is back: no drops.
  ReplayOptions ro;
  ro.files = {recording};
  ro.port = 0;
  ro.fps = 20;
  ro.before_send = [&](std::uint64_t sent) {
    if (sent == 0) return;
    std::unique_lock<std::mutex> lock(m);
    got_mask.wait_for(lock, std::chrono::duration<double>(30 * test::time_scale()),
                      [&] { return got.masks.count(int(sent) - 1) > 0; });
  };
  Replay replay(ro);
  replay.start();

  PipelineOptions po;
  po.kind = PipelineKind::Segment;
  po.semantic.model = test::save_two_class_model("e2e_two_class", 160);
  po.semantic.keep_probability = true;
  InferenceOptions io;
  io.relay.upstream.host = "127.0.0.1";
  io.relay.upstream.port = replay.port();
  io.relay.upstream.backoff_initial_s = 0.05;
  io.relay.upstream.backoff_max_s = 0.2;
  io.relay.downstream.port = 0;
  io.relay.downstream.queue_messages = 256;
  io.relay.downstream.drop_when_full = false;
  io.probability_device = "BoneProbability";
  InferenceBridge bridge(io, std::make_unique<Pipeline>(po));
  bridge.start();

  ListenOptions lo;
  lo.port = bridge.output_port();
  lo.timeout_s = 120;
  lo.idle_s = 2;
  std::atomic<bool> stop{false};
  ListenResult lr;
  std::thread listener([&] {
    lr = listen(
        lo, stop, [](const std::string&) {},
        [&](const Message& msg) {
          std::lock_guard<std::mutex> lock(m);
          const int f = test::frame_of(msg.header.timestamp);
          if (msg.type() == "IMAGE" && msg.device() == "Image_Reference") got.inputs[f] = decode_image(msg);
          if (msg.type() == "IMAGE" && msg.device() == "BoneProbability") got.probabilities[f] = decode_image(msg);
          if (msg.type() == "IMAGE" && msg.device() == "BoneMask") {
            got.masks[f] = decode_image(msg);
            got_mask.notify_all();
          }
          if (msg.type() == "POLYDATA") got.contours[f] = decode_polydata(msg);
          if (msg.type() == "STRING" && msg.device() == "BoneMaskState") got.states[f] = decode_string(msg).text;
        });
  });
  for (int i = 0; i < 200 && bridge.stats().relay.clients < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  REQUIRE(bridge.stats().relay.clients == 1);
  const ReplayStats rs = replay.run();
  listener.join();
  bridge.stop();
  std::filesystem::remove(recording);

  REQUIRE(lr.exit_code == 0);
  CHECK(rs.frames_sent == kFrames);
  const InferenceStats st = bridge.stats();
  CHECK(st.failed == 0);
  REQUIRE(st.processed == kFrames);
  REQUIRE(got.masks.size() == std::size_t(kFrames));
  REQUIRE(got.probabilities.size() == std::size_t(kFrames));
  REQUIRE(got.states.size() == std::size_t(kFrames));
  REQUIRE(got.contours.size() == std::size_t(kFrames));

  // The tracks of frame 0: one per class.
  const auto classes0 = test::track_classes(got.states.at(0));
  REQUIRE(classes0.size() == 2);
  std::map<int, int> id_of_class;  // class -> track id
  for (const auto& [id, cls] : classes0) id_of_class[cls] = id;
  REQUIRE(id_of_class.size() == 2);

  for (int f = 0; f < kFrames; ++f) {
    INFO("frame " << f);
    const Image& in = got.inputs.at(f);
    for (const Image* out : {&got.masks.at(f), &got.probabilities.at(f)}) {
      CHECK(std::memcmp(out->matrix.data(), in.matrix.data(), sizeof(float) * 12) == 0);
      CHECK(out->dims == in.dims);
      CHECK(out->scalar == ScalarType::UInt8);
    }
    const Image& mask = got.masks.at(f);
    // Class values: class 1 is disk 0, class 2 disk 1.
    CHECK(test::label_iou(mask.pixels.data(), scene, 0, f, 1) >= 0.9);
    CHECK(test::label_iou(mask.pixels.data(), scene, 1, f, 2) >= 0.9);
    // The probability is high at each present object's centre.
    for (std::size_t d = 0; d < 2; ++d) {
      if (!scene.disks[d].present(f)) continue;
      const std::size_t at = std::size_t(std::lround(scene.disks[d].cy(f))) * std::size_t(scene.width) +
                             std::size_t(std::lround(scene.disks[d].cx(f)));
      CHECK(got.probabilities.at(f).pixels[at] > 250);
    }
    // Same ids and classes all along; disk 1 (class 2) leaves at 8 and comes back at 22.
    CHECK(test::track_classes(got.states.at(f)) == classes0);
    const auto states = test::track_states(got.states.at(f));
    CHECK(states.at(id_of_class[1]) == "VISIBLE");
    const std::string want2 = f < 8 || f >= 22 ? "VISIBLE" : f < 17 ? "RELOCALIZING" : "LOST";
    CHECK(states.at(id_of_class[2]) == want2);
    // One contour loop per present object, labelled with its class.
    const PolyData& pd = got.contours.at(f);
    REQUIRE(pd.attributes.size() == 1);
    CHECK(pd.lines.size() == (scene.disks[1].present(f) ? 2u : 1u));
    // A cell attribute's tuple is 9 floats on the wire (the reference library's rule): the label first.
    const auto& labels = pd.attributes[0];
    for (std::size_t c = 0; c < pd.lines.size(); ++c) {
      const float v = labels.values[c * labels.components];
      INFO("loop " << c << " label " << v);
      CHECK((v == 1.0f || (v == 2.0f && scene.disks[1].present(f))));
    }
  }
}
