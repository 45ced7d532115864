// Reloading a running bridge: which keys a reload takes, new pipelines
// swapped in between frames under a paced stream (no frame lost, the client
// stays connected, the new model's labels from the next frame), and reloads
// that fail keep the running models.
#include "bridge/reload.hpp"

#include <map>
#include <thread>

#include "../support/eventually.hpp"
#include "../support/synthetic_scene.hpp"
#include "../support/two_class_model.hpp"
#include "bridge/options.hpp"
#include "transport/image_codec.hpp"
#include "transport/message_reader.hpp"
#include "transport/socket.hpp"
#include "transport/string_codec.hpp"

#include "../support/catch.hpp"

using namespace igtb;
using namespace std::chrono_literals;

namespace {

/// A one-class network: every bright object is class 1 (the two-class
/// network's classes merged), so a swap to it shows in the label map.
std::string save_one_class_model() {
  torch::jit::Module m("__torch__.igtbtest.OneClass");
  m.define(R"(
def forward(self, image: Tensor) -> Tensor:
    x = image[:, :1].float()
    k = torch.ones([1, 1, 5, 5], device=x.device) / 25.0
    g = torch.conv2d(x, k, None, [1, 1], [2, 2])
    c1 = (g >= 82.0).float()
    return (torch.cat([1.0 - c1, c1], 1) * 10.0).to(image.dtype)
)");
  const auto path = (std::filesystem::temp_directory_path() / "igtb_one_class.pt").string();
  m.save(path, {{"config.json", R"({"shape": [1, 1, 160, 160]})"}});
  return path;
}

config::BridgeConfig segment_config(const std::string& model) {
  return config::default_config({"pipeline.kind=segment", config::quoted_override("models.segmentation", model)});
}

/// A bridge in listen mode with a client; frames are sent one at a time, each
/// once the previous one's state came back.
struct Rig {
  InferenceBridge bridge;
  Socket client, sender;
  std::mutex m;
  std::map<double, Image> masks;
  std::map<double, std::string> states;
  std::atomic<bool> done{false};
  std::thread reader;

  static InferenceOptions options() {
    InferenceOptions io;
    io.relay.input_mode = "listen";
    io.relay.upstream.port = 0;
    io.relay.downstream.port = 0;
    io.relay.downstream.queue_messages = 256;
    io.relay.downstream.drop_when_full = false;
    return io;
  }
  explicit Rig(const config::BridgeConfig& cfg)
      : bridge(options(), std::make_unique<Pipeline>(pipeline_options(cfg))) {
    bridge.start();
    client = Socket::connect_tcp("127.0.0.1", bridge.output_port(), 1000);
    REQUIRE(test::eventually([&] { return bridge.stats().relay.clients == 1; }));
    reader = std::thread([this] {
      MessageReader r(client, ReaderOptions{}, "test client");
      pump_messages(r, done, [this](Message&& msg) {
        std::lock_guard<std::mutex> lock(m);
        const double t = timestamp_to_seconds(msg.header.timestamp);
        if (msg.device() == "BoneMask") masks[t] = decode_image(msg);
        if (msg.device() == "BoneMaskState") states[t] = decode_string(msg).text;
      });
    });
    sender = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
  }
  ~Rig() {
    done = true;
    client.shutdown();
    if (reader.joinable()) reader.join();
    bridge.stop();
  }
  /// Frame f of the scene at time f; returns its label map.
  Image send(const test::Scene& scene, int f) {
    const double t = 10.0 + f;
    const Bytes b = encode_image(Envelope{"IMAGE", "Image_Reference", timestamp_from_seconds(t), 1, 0, {}},
                                 test::scene_image(scene, f));
    sender.send_all(b.data(), b.size());
    REQUIRE(test::eventually([&] {
      std::lock_guard<std::mutex> lock(m);
      return states.count(t) > 0;
    }, 30s));
    std::lock_guard<std::mutex> lock(m);
    return masks.at(t);
  }
};

/// The label at disk d's centre in frame f.
int label_at(const Image& mask, const test::Scene& s, std::size_t d, int f) {
  return mask.pixels[std::size_t(std::lround(s.disks[d].cy(f))) * std::size_t(s.width) +
                     std::size_t(std::lround(s.disks[d].cx(f)))];
}

}  // namespace

TEST_CASE("a reload takes the models and what shapes their work; sockets, names and the device need a restart") {
  for (const char* key : {"models.segmentation", "models.detector", "models.precision", "models.input_size",
                          "segment.min_area", "match.gate", "visibility.theta_on", "detect.top_k",
                          "pipeline.cuda_graph", "output.label_values", "log.level"})
    CHECK(reloadable_key(key));
  for (const char* key : {"models.device", "models.stream_devices", "pipeline.kind", "pipeline.enabled",
                          "output.port", "input.host", "output.mask_device", "output.probability_device", "kpi.path",
                          "record.dir", "pipeline.upload_slots"})
    CHECK_FALSE(reloadable_key(key));
  const config::BridgeConfig a = config::default_config();
  const config::BridgeConfig b = config::default_config({"output.port=19000", "segment.min_area=99", "log.level=debug"});
  const ReloadPlan plan = plan_reload(a, b);
  CHECK(plan.reload == std::vector<std::string>{"segment.min_area", "log.level"});
  CHECK(plan.restart == std::vector<std::string>{"output.port"});
  config::BridgeConfig c = a;
  config::copy_keys(c, b, plan.reload);
  CHECK(c.segment.min_area == 99);
  CHECK(c.output.port == a.output.port);
  CHECK(config::changed_keys(c, b) == std::vector<std::string>{"output.port"});
}

TEST_CASE("new pipelines swap in between frames: none lost, the client stays, the new model from the next frame") {
  const test::Scene scene = test::two_class_scene();
  const config::BridgeConfig cfg = segment_config(test::save_two_class_model("reload_two_class", 160));
  Rig rig(cfg);
  for (int f = 0; f < 6; ++f) CHECK(label_at(rig.send(scene, f), scene, 1, f) == 2);
  // The wrong swaps are refused, and change nothing.
  std::vector<std::unique_ptr<Pipeline>> none;
  CHECK_THROWS_AS(rig.bridge.replace_pipelines(std::move(none)), std::invalid_argument);
  std::vector<std::unique_ptr<Pipeline>> other_kind;
  other_kind.push_back(std::make_unique<Pipeline>(PipelineOptions{}));
  CHECK_THROWS_WITH(rig.bridge.replace_pipelines(std::move(other_kind)), Catch::Contains("pipeline.kind"));
  CHECK(label_at(rig.send(scene, 6), scene, 1, 6) == 2);

  std::vector<std::unique_ptr<Pipeline>> next;
  next.push_back(std::make_unique<Pipeline>(pipeline_options(segment_config(save_one_class_model()))));
  rig.bridge.replace_pipelines(std::move(next));
  for (int f = 7; f < 12; ++f) {  // disk 1 is away from frame 8 on; disk 0 is class 1 in both models
    const Image mask = rig.send(scene, f);
    CHECK(label_at(mask, scene, 0, f) == 1);
    if (f == 7) CHECK(label_at(mask, scene, 1, f) == 1);  // was 2: the new model, from the very next frame
  }
  CHECK(rig.bridge.swaps() == 1);
  const InferenceStats st = rig.bridge.stats();
  CHECK(st.processed == 12);
  CHECK(st.dropped == 0);
  CHECK(st.failed == 0);
  CHECK(st.relay.clients == 1);
  CHECK(st.relay.dropped == 0);  // nothing dropped from the client's queue
}

TEST_CASE("the Reloader: a bad configuration or model keeps the running models; a good one swaps them in") {
  const test::Scene scene = test::two_class_scene();
  const std::string two = test::save_two_class_model("reloader_two_class", 160);
  const config::BridgeConfig cfg = segment_config(two);
  Rig rig(cfg);
  config::BridgeConfig next = cfg;
  bool bad_file = true;
  Reloader reloader(rig.bridge, cfg, [&] {
    if (bad_file) throw config::ConfigError("t.yaml:3: models.segmentation: expected a file path");
    return next;
  });
  reloader.request();
  reloader.wait();
  CHECK(reloader.failed() == 1);
  bad_file = false;
  next = segment_config("/nonexistent/unet.pt");
  reloader.request();
  reloader.wait();
  CHECK(reloader.failed() == 2);
  CHECK(label_at(rig.send(scene, 0), scene, 1, 0) == 2);  // still the running model
  CHECK(rig.bridge.swaps() == 0);

  // A good one: a new model file, and a key that needs a restart (kept).
  next = segment_config(save_one_class_model());
  next.output.port = 19999;
  reloader.request();
  reloader.wait();
  CHECK(reloader.done() == 3);
  CHECK(reloader.failed() == 2);
  CHECK(label_at(rig.send(scene, 1), scene, 1, 1) == 1);
  CHECK(rig.bridge.swaps() == 1);
  // The same file again (a retrained model at the same path is read anew).
  reloader.request();
  reloader.wait();
  CHECK(reloader.failed() == 2);
  rig.send(scene, 2);
  CHECK(rig.bridge.swaps() == 2);
  CHECK(rig.bridge.stats().processed == 3);
}
