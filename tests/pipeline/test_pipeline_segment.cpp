// The segment shape (pipeline.kind: segment) on the CPU: a semantic network
// of two classes on synthetic frames whose true masks are known.
#include <algorithm>
#include <filesystem>

#include "../support/synthetic_scene.hpp"
#include "../support/two_class_model.hpp"
#include "pipeline/pipeline.hpp"

#include "../support/catch.hpp"

using namespace igtb;

namespace {

const TrackResult* track(const FrameResult& r, std::uint8_t id) {
  for (const auto& t : r.tracks)
    if (t.id == id) return &t;
  return nullptr;
}

/// Frames 0..depth-1 of the scene as the slices of one 3D IMAGE.
Image scene_volume(const test::Scene& scene, int depth) {
  Image v;
  v.dims = {std::uint16_t(scene.width), std::uint16_t(scene.height), std::uint16_t(depth)};
  v.subvolume_size = v.dims;
  v.matrix = {0.3f, 0, 0, 0, 0.3f, 0, 0, 0, 2.0f, 1, 2, 3};
  for (int f = 0; f < depth; ++f) {
    const auto px = scene.frame(f);
    v.pixels.insert(v.pixels.end(), px.begin(), px.end());
  }
  return v;
}

/// The two-class network, but one that takes a batch of one image only
/// (as a trace that fixed the batch would).
std::string save_batch_of_one_model() {
  torch::jit::Module m("__torch__.igtbtest.TwoClassOne");
  const std::string source = test::kTwoClassSource;
  m.define(std::string("\ndef forward(self, image: Tensor) -> Tensor:\n"
                       "    one = image.view([1, image.size(1), image.size(2), image.size(3)])\n"
                       "    return self.two(one)\n") +
           "\ndef two" + source.substr(source.find("(self")));
  torch::jit::ExtraFilesMap extra{{"config.json", R"({"shape": [1, 1, 160, 160]})"}};
  const auto path = (std::filesystem::temp_directory_path() / "igtb_two_class_one.pt").string();
  m.save(path, extra);
  return path;
}

PipelineOptions segment_options(const std::string& model) {
  PipelineOptions o;
  o.kind = PipelineKind::Segment;
  o.semantic.model = model;
  o.tracker.lost_after_frames = 10;
  return o;
}

}  // namespace

TEST_CASE("segment shape: two classes, each object's label map IoU >= 0.9, stable ids, the tracks' states") {
  const test::Scene scene = test::two_class_scene();
  PipelineOptions o = segment_options(test::save_two_class_model("two_class_160", 160));
  o.semantic.keep_probability = true;
  Pipeline p(o);
  CHECK(p.semantic().classes == 3);
  CHECK(p.semantic().settings_from == "config.json");
  CHECK_THROWS_AS(p.detector(), std::logic_error);

  std::uint8_t id1 = 0, id2 = 0;
  for (int f = 0; f < 30; ++f) {
    INFO("frame " << f);
    const PipelineOutput out = p.process(test::scene_image(scene, f));
    const FrameResult& r = out.result;
    REQUIRE(r.width == scene.width);
    REQUIRE(r.height == scene.height);
    REQUIRE(r.labels.size() == std::size_t(scene.width * scene.height));
    REQUIRE(r.probability.size() == r.labels.size());
    // Class values in the map: class 1 is disk 0, class 2 disk 1.
    CHECK(test::label_iou(r.labels.data(), scene, 0, f, 1) >= 0.9);
    CHECK(test::label_iou(r.labels.data(), scene, 1, f, 2) >= 0.9);
    if (f == 0) {
      REQUIRE(r.tracks.size() == 2);
      for (const auto& t : r.tracks) (t.label == 1 ? id1 : id2) = t.id;
      REQUIRE(id1 != 0);
      REQUIRE(id2 != 0);
    }
    CHECK(r.tracks.size() == 2);  // never a third
    const TrackResult* t1 = track(r, id1);
    const TrackResult* t2 = track(r, id2);
    REQUIRE(t1 != nullptr);
    REQUIRE(t2 != nullptr);
    CHECK(t1->label == 1);
    CHECK(t2->label == 2);
    CHECK(t1->state == std::uint8_t(TrackState::Visible));
    CHECK(t1->box[0] == Approx(scene.disks[0].cx(f) - 24).margin(3));
    // Disk 1 leaves at 8: RELOCALIZING 8..16, LOST from its 10th unseen
    // frame (17), VISIBLE again when it comes back at 22.
    const auto want = f < 8 || f >= 22 ? TrackState::Visible : f < 17 ? TrackState::Relocalizing : TrackState::Lost;
    CHECK(t2->state == std::uint8_t(want));
    // The probability follows the classes: high inside both disks, low far from them.
    const auto at = [&](double x, double y) { return r.probability[std::size_t(int(y) * scene.width + int(x))]; };
    CHECK(at(scene.disks[0].cx(f), scene.disks[0].cy(f)) > 250);
    CHECK(at(2, scene.height - 3) < 5);
    // Stage times: detect not run, match on the host.
    CHECK(out.times[Stage::Detect] == 0.0);
    CHECK(out.times[Stage::Segment] > 0.0);
  }
}

TEST_CASE("segment shape: the label map can carry the VISIBLE tracks' ids instead of classes") {
  const test::Scene scene = test::two_class_scene();
  PipelineOptions o = segment_options(test::save_two_class_model("two_class_nocfg", 0));
  o.semantic.settings.input_size = 160;  // no config.json: the YAML says it
  o.semantic.settings.in_channels = 1;
  o.semantic.track_labels = true;
  Pipeline p(o);
  CHECK(p.semantic().settings_from == "the YAML");
  CHECK(p.counters().warmup_ms > 0);
  for (int f = 0; f < 12; ++f) {
    INFO("frame " << f);
    const FrameResult r = p.process(test::scene_image(scene, f)).result;
    REQUIRE(r.probability.empty());
    for (const auto& t : r.tracks) {
      const std::size_t disk = t.label == 1 ? 0 : 1;
      const bool visible = t.state == std::uint8_t(TrackState::Visible);
      CHECK(test::label_iou(r.labels.data(), scene, disk, f, t.id) >= (visible ? 0.9 : 1.0));
      if (!visible) CHECK(std::count(r.labels.begin(), r.labels.end(), t.id) == 0);
    }
  }
  // Another stream: tracks start over.
  p.reset_tracks();
  const FrameResult again = p.process(test::scene_image(scene, 0)).result;
  REQUIRE(again.tracks.size() == 2);
  for (const auto& t : again.tracks) CHECK((t.id == 1 || t.id == 2));
}

TEST_CASE("segment shape: a model the YAML contradicts, or one that says nothing, is one clear error") {
  PipelineOptions o = segment_options(test::save_two_class_model("two_class_96", 96));
  o.semantic.settings.input_size = 128;
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("models.input_size is 128 but the model's config.json says 96"));
  o = segment_options(test::save_two_class_model("two_class_none", 0));
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("models.input_size is not set"));
  o = segment_options("/nonexistent/unet.pt");
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("segmentation model file not found"));
  o = segment_options(kDemoModelSpec);
  o.semantic.min_area = 0;
  CHECK_THROWS_AS(Pipeline(o), std::invalid_argument);
}

TEST_CASE("segment shape: a 3D volume is segmented slice by slice, one label volume and voxels per class") {
  const test::Scene scene = test::two_class_scene();
  constexpr int kDepth = 5;
  const Image volume = scene_volume(scene, kDepth);
  for (const bool batch : {true, false}) {
    INFO((batch ? "a model that takes the batch" : "a model of one image at a time"));
    PipelineOptions o =
        segment_options(batch ? test::save_two_class_model("two_class_vol", 160) : save_batch_of_one_model());
    o.semantic.keep_probability = true;
    Pipeline p(o);
    CHECK(p.input_problem(volume).empty());
    const FrameResult r = p.process(volume).result;
    REQUIRE(r.depth == kDepth);
    REQUIRE(r.labels.size() == std::size_t(kDepth * scene.width * scene.height));
    CHECK(r.probability.size() == r.labels.size());
    CHECK(r.tracks.empty());
    const std::size_t plane = std::size_t(scene.width * scene.height);
    for (int f = 0; f < kDepth; ++f) {
      INFO("slice " << f);
      CHECK(test::label_iou(r.labels.data() + plane * std::size_t(f), scene, 0, f, 1) >= 0.9);
      CHECK(test::label_iou(r.labels.data() + plane * std::size_t(f), scene, 1, f, 2) >= 0.9);
    }
    REQUIRE(r.class_voxels.size() == 3);
    CHECK(r.class_voxels[0] + r.class_voxels[1] + r.class_voxels[2] == r.labels.size());
    CHECK(r.class_voxels[1] == std::uint64_t(std::count(r.labels.begin(), r.labels.end(), 1)));
    // A 2D frame after it: tracked as before.
    const FrameResult flat = p.process(test::scene_image(scene, 0)).result;
    CHECK(flat.depth == 1);
    CHECK(flat.tracks.size() == 2);
    CHECK(flat.class_voxels.empty());
  }
  // The detect_segment shape still says no to volumes, and a subvolume is no volume.
  PipelineOptions d;
  CHECK(Pipeline(d).input_problem(volume).find("3D volume") != std::string::npos);
  Image part = volume;
  part.subvolume_size = {8, 8, 1};
  CHECK(Pipeline(segment_options(kDemoModelSpec)).input_problem(part).find("subvolume") != std::string::npos);
}
