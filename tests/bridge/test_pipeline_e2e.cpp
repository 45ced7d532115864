// End to end on the CPU: a synthetic recording written by the test (moving
// disks on speckle, one leaving for a while and coming back) -> replay (the
// PlusServer stand-in) -> the bridge with the demo models -> a listening
// client (the Slicer stand-in), all on loopback. Checked per processed frame:
// segmentation against the true disks, the label map's geometry against the
// input IMAGE, stable ids, the FSM's states, and the contours' positions.
#include "bridge/inference_bridge.hpp"
#include "bridge/monitor.hpp"

#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "../support/e2e_recording.hpp"
#include "../support/synthetic_scene.hpp"
#include "../support/time_scale.hpp"
#include "tools/listen.hpp"
#include "tools/replay.hpp"
#include "transport/image_codec.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/string_codec.hpp"

#include "../support/catch.hpp"

using namespace igtb;

namespace {

constexpr int kFrames = 40;

using test::frame_of;
using test::track_states;

struct Received {
  std::map<int, Image> inputs, masks;
  std::map<int, Message> mask_messages;
  std::map<int, PolyData> contours;
  std::map<int, std::string> states;
};

double iou(const Image& mask, const test::Scene& s, std::size_t d, int f, std::uint8_t id) {
  return test::label_iou(mask.pixels.data(), s, d, f, id);
}

}  // namespace

TEST_CASE("replay -> igtbridge (demo models, CPU) -> listen: masks, geometry, ids, FSM and contours per frame") {
  const test::Scene scene = test::two_disks_scene();
  const std::string recording = test::write_recording(scene, kFrames, "igtb_e2e_disks");

  Received got;
  std::mutex m;
  std::condition_variable got_mask;

  // The stream runs at most at 10 frames/s (so the health messages have time
  // to come), and each frame goes out only once the previous frame's label
  // map is back: the bridge's mailbox (latest frame wins) never has to drop,
  // whatever the machine's speed, so every frame is checked below.
  ReplayOptions ro;
  ro.files = {recording};
  ro.port = 0;
  ro.fps = 10;
  ro.before_send = [&](std::uint64_t sent) {
    if (sent == 0) return;
    std::unique_lock<std::mutex> lock(m);
    got_mask.wait_for(lock, std::chrono::duration<double>(30 * test::time_scale()),
                      [&] { return got.masks.count(int(sent) - 1) > 0; });
  };
  Replay replay(ro);
  replay.start();

  InferenceOptions io;
  io.relay.upstream.host = "127.0.0.1";
  io.relay.upstream.port = replay.port();
  io.relay.upstream.backoff_initial_s = 0.05;
  io.relay.upstream.backoff_max_s = 0.2;
  io.relay.downstream.port = 0;
  io.relay.downstream.queue_messages = 256;
  io.relay.downstream.drop_when_full = false;  // the test wants every produced frame
  InferenceBridge bridge(io, std::make_unique<Pipeline>(PipelineOptions{}));
  bridge.start();
  // The daemon's health messages, polled as igtbridge does (every 50 ms).
  MonitorOptions mo;
  mo.status_interval_s = 0.25;
  mo.summary_interval_s = 60;
  mo.model_device = "cpu";
  mo.precision = "fp32";
  Monitor monitor(bridge, mo);
  std::atomic<bool> monitoring{true};
  std::thread monitor_thread([&] {
    while (monitoring) {
      monitor.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::vector<std::string> statuses;

  ListenOptions lo;
  lo.port = bridge.output_port();
  lo.timeout_s = 120;
  lo.idle_s = 3;
  std::atomic<bool> stop{false};
  ListenResult lr;
  std::thread listener([&] {
    lr = listen(
        lo, stop, [](const std::string&) {},
        [&](const Message& msg) {
          std::lock_guard<std::mutex> lock(m);
          const int f = frame_of(msg.header.timestamp);
          if (msg.type() == "IMAGE" && msg.device() == "Image_Reference") got.inputs[f] = decode_image(msg);
          if (msg.type() == "IMAGE" && msg.device() == "BoneMask") {
            got.masks[f] = decode_image(msg);
            got.mask_messages.emplace(f, msg);
            got_mask.notify_all();
          }
          if (msg.type() == "POLYDATA") got.contours[f] = decode_polydata(msg);
          if (msg.type() == "STRING" && msg.device() == "IgtbridgeStatus") statuses.push_back(decode_string(msg).text);
          else if (msg.type() == "STRING") got.states[f] = decode_string(msg).text;
        });
  });
  for (int i = 0; i < 200 && bridge.stats().relay.clients < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  REQUIRE(bridge.stats().relay.clients == 1);
  const ReplayStats rs = replay.run();
  // Health messages stop with the stream, so the listener's idle limit can end it.
  monitoring = false;
  monitor_thread.join();
  listener.join();
  bridge.stop();
  std::filesystem::remove(recording);

  REQUIRE(lr.exit_code == 0);
  CHECK(rs.frames_sent == kFrames);
  const InferenceStats st = bridge.stats();
  INFO("frames in " << st.frames_in << ", processed " << st.processed << ", dropped busy " << st.dropped);
  CHECK(st.frames_in == kFrames);
  CHECK(st.failed == 0);
  CHECK(st.processed + st.dropped == kFrames);

  // Health messages: one every 0.25 s while the stream ran, each with every
  // field; frames went through and the listener was seen as a client.
  INFO("status messages: " << statuses.size());
  CHECK(statuses.size() >= 4);
  CHECK(monitor.statuses_sent() >= statuses.size());
  const std::regex status_re(
      R"re(\{"uptime_s": [0-9.]+, "fps_in": [0-9.]+, "fps_out": ([0-9.]+), "dropped": [0-9]+, "dropped_total": [0-9]+, )re"
      R"re("failed": 0, "failed_total": 0, "ignored_total": 0, "unsupported_total": 0, "malformed_total": 0, "e2e_p50_ms": (null|[0-9.]+), "e2e_p99_ms": (null|[0-9.]+), "clients": 1, )re"
      R"re("client_drops_total": [0-9]+, "upstream": "(connected|not connected)", "model_device": "cpu", "precision": "fp32"\})re");
  double best_fps = 0;
  int with_latency = 0;
  for (const auto& text : statuses) {
    std::smatch sm;
    INFO(text);
    REQUIRE(std::regex_match(text, sm, status_re));
    best_fps = std::max(best_fps, std::stod(sm[1].str()));
    with_latency += sm[2].str() != "null" ? 1 : 0;
  }
  CHECK(best_fps > 1.0);
  CHECK(with_latency >= 1);
  REQUIRE(got.states.size() == st.processed);
  REQUIRE(got.masks.size() == st.processed);
  REQUIRE(got.contours.size() == st.processed);
  REQUIRE(st.dropped == 0);  // paced by the label maps coming back
  REQUIRE(st.processed == kFrames);

  // Ids from the first processed frame: the left disk is disk 0.
  const int first = got.masks.begin()->first;
  REQUIRE(first < 12);
  std::map<int, std::string> s0 = track_states(got.states.at(first));
  REQUIRE(s0.size() == 2);
  std::uint8_t id[2] = {0, 0};
  for (const auto& [tid, state] : s0) {
    const Image& mk = got.masks.at(first);
    const auto& d0 = scene.disks[0];
    const std::size_t at = std::size_t(std::lround(d0.cy(first))) * std::size_t(scene.width) + std::size_t(std::lround(d0.cx(first)));
    id[mk.pixels[at] == tid ? 0 : 1] = std::uint8_t(tid);
  }
  REQUIRE(id[0] != 0);
  REQUIRE(id[1] != 0);
  REQUIRE(id[0] != id[1]);

  int absent_processed = 0;  // processed frames in a row without disk 1
  double worst_contour = 0, signed_sum = 0;
  std::size_t contour_points = 0;
  for (const auto& [f, mask] : got.masks) {
    INFO("frame " << f);
    const Image& in = got.inputs.at(f);
    // Geometry bit for bit: the 12 matrix floats, dims, and the timestamp on the wire.
    CHECK(std::memcmp(mask.matrix.data(), in.matrix.data(), sizeof(float) * 12) == 0);
    CHECK(mask.dims == in.dims);
    CHECK(mask.scalar == ScalarType::UInt8);
    CHECK(mask.components == 1);
    CHECK(frame_of(got.mask_messages.at(f).header.timestamp) == f);

    // The FSM: disk 1 leaves at frame 12 and returns at frame 30; LOST on the 10th processed frame without it.
    const bool present1 = scene.disks[1].present(f);
    absent_processed = present1 ? 0 : absent_processed + 1;
    const std::string want1 = present1 ? "VISIBLE" : absent_processed >= 10 ? "LOST" : "RELOCALIZING";
    const auto states = track_states(got.states.at(f));
    CHECK(states.size() == 2);  // no third track, ever
    CHECK(states.count(id[0]) == 1);
    CHECK(states.count(id[1]) == 1);
    if (states.count(id[0])) CHECK(states.at(id[0]) == "VISIBLE");
    if (states.count(id[1])) CHECK(states.at(id[1]) == want1);

    // Masks against the true disks, by id.
    CHECK(iou(mask, scene, 0, f, id[0]) >= 0.9);
    if (present1) CHECK(iou(mask, scene, 1, f, id[1]) >= 0.9);
    else CHECK(iou(mask, scene, 1, f, id[1]) == 1.0);  // no pixel labelled with the absent disk's id

    // Contours: back to pixel coordinates through the IMAGE matrix; each point
    // must lie within 1 px of the edge of the disk whose label its loop has.
    const Matrix4d ijk = ijk_to_ras_from_wire(in.matrix, in.dims);
    const PolyData& pd = got.contours.at(f);
    REQUIRE(pd.attributes.size() == 1);
    CHECK(pd.lines.size() == (present1 ? 2u : 1u));
    for (std::size_t c = 0; c < pd.lines.size(); ++c) {
      const int label = int(pd.attributes[0].values[c * pd.attributes[0].components]);  // a cell tuple: 9 floats, label first
      const std::size_t d = label == id[0] ? 0 : 1;
      const auto& disk = scene.disks[d];
      for (const auto pi : pd.lines[c]) {
        const auto& p = pd.points[pi];
        // Invert the 2D part (i, j columns of the rotation * spacing) of the IJK->RAS.
        const double rx = p[0] - ijk[3], ry = p[1] - ijk[7];
        const double a = ijk[0], b = ijk[1], cc = ijk[4], dd = ijk[5], det = a * dd - b * cc;
        const double i = (dd * rx - b * ry) / det, j = (-cc * rx + a * ry) / det;
        const double r = std::hypot(i - disk.cx(f), j - disk.cy(f));
        worst_contour = std::max(worst_contour, std::abs(r - disk.radius));
        signed_sum += r - disk.radius;
        ++contour_points;
      }
    }
  }
  std::printf("contour: %zu points, worst %.3f px, mean signed %.3f px\n", contour_points, worst_contour, signed_sum / double(contour_points));
  INFO("contour points " << contour_points << ", worst distance to the true edge " << worst_contour << " px");
  CHECK(contour_points > 0);
  CHECK(worst_contour <= 1.0);
}
