// The whole pipeline on the CPU with the demo models, on synthetic frames
// whose true masks are known.
#include "pipeline/pipeline.hpp"
#include "transport/image_codec.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

#include <ATen/Parallel.h>

#include "../support/synthetic_scene.hpp"
#include "models/demo_models.hpp"
#include "pipeline/stages/contours.hpp"

#include "../support/catch.hpp"

using namespace igtb;

namespace {

Image make_image(const test::Scene& s, int f) { return test::scene_image(s, f, {0.2f, 0, 0, 0, 0.2f, 0, 0, 0, 1, 5, 6, 7}); }

double iou(const FrameResult& r, const test::Scene& s, std::size_t d, int f, std::uint8_t id) {
  return test::label_iou(r.labels.data(), s, d, f, id);
}

const TrackResult* track(const FrameResult& r, std::uint8_t id) {
  for (const auto& t : r.tracks)
    if (t.id == id) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("demo models: two disks are found, segmented and keep their ids through a disappearance") {
  const test::Scene scene = test::two_disks_scene();
  PipelineOptions o;
  Pipeline p(o);
  CHECK(p.detector().queries == 10);
  CHECK(p.segmenter().mask_size == 256);

  std::uint8_t id0 = 0, id1 = 0;
  for (int f = 0; f < 36; ++f) {
    INFO("frame " << f);
    const PipelineOutput out = p.process(make_image(scene, f));
    REQUIRE(out.result.width == scene.width);
    REQUIRE(out.result.height == scene.height);
    if (f == 0) {
      REQUIRE(out.result.tracks.size() == 2);
      // Ids are given in detection order; find which disk is which by its box.
      for (const auto& t : out.result.tracks)
        ((t.box[0] + t.box[2]) / 2 < scene.width / 2 ? id0 : id1) = t.id;
      REQUIRE(id0 != 0);
      REQUIRE(id1 != 0);
      REQUIRE(id0 != id1);
    }
    REQUIRE(out.result.tracks.size() == 2);  // never a third track
    const TrackResult* t0 = track(out.result, id0);
    const TrackResult* t1 = track(out.result, id1);
    REQUIRE(t0);
    REQUIRE(t1);
    CHECK(t0->state == std::uint8_t(TrackState::Visible));
    CHECK(iou(out.result, scene, 0, f, id0) >= 0.9);
    const auto want1 = f < 12 || f >= 30 ? TrackState::Visible : f < 21 ? TrackState::Relocalizing : TrackState::Lost;
    CHECK(t1->state == std::uint8_t(want1));
    if (want1 == TrackState::Visible) CHECK(iou(out.result, scene, 1, f, id1) >= 0.9);
    else CHECK(iou(out.result, scene, 1, f, id1) == 1.0);  // no label 1 pixels and no disk
    // One closed contour per visible disk.
    const PolyData contours = label_contours(out.result.labels.data(), make_image(scene, f));
    std::size_t loops = 0;
    for (const auto& line : contours.lines) loops += line.front() == line.back();
    CHECK(loops == contours.lines.size());
    CHECK(loops == (want1 == TrackState::Visible ? 2u : 1u));
    for (double ms : out.times.ms) CHECK(ms >= 0);
  }
}

TEST_CASE("pipeline options and models are checked at construction") {
  PipelineOptions o;
  o.precision = "fp16";
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("fp16 needs a CUDA device"));
  o = {};
  o.encoder_precision = "fp16";  // one module in half precision is a CUDA matter too
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("precision fp32 (encoder fp16): fp16 needs a CUDA device"));
  o.encoder_precision = "fp32";  // the same as precision: no override
  CHECK(o.precision_label() == "fp32");
  o.precision = "fp16";
  o.decoder_precision = "bf16";
  CHECK(o.precision_label() == "fp16 (encoder fp32, decoder bf16)");
  o = {};
  o.precision = "fp64";
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("not fp32, fp16 or bf16"));
  o = {};
  o.device = "tpu";
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("device 'tpu'"));
  if (!torch::cuda::is_available()) {
    o.device = "cuda:0";
    CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("no CUDA device"));
  }
  for (std::int64_t k : {0, 65}) {
    o = {};
    o.detect.top_k = k;
    CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("detect top_k must be 1..64"));
  }
  o = {};
  o.encoder = "/nonexistent/encoder.pt";
  CHECK_THROWS_WITH(Pipeline(o), Catch::Contains("/nonexistent/encoder.pt") && Catch::Contains("not found"));
}

TEST_CASE("the CPU thread count: the option, else OMP_NUM_THREADS, else every core") {
  CHECK(cpu_thread_count(3, nullptr, 2) == 3);
  CHECK(cpu_thread_count(3, "1", 2) == 3);  // asked for in the config: the config wins
  CHECK(cpu_thread_count(0, "1", 2) == 0);  // LibTorch follows the variable itself
  CHECK(cpu_thread_count(0, "", 2) == 2);   // set but empty: as if unset
  CHECK(cpu_thread_count(0, nullptr, 2) == 2);
  CHECK(cpu_thread_count(0, nullptr, 0) == 0);  // cores unknown: leave LibTorch's count
  CHECK_THROWS_WITH(cpu_thread_count(-1, nullptr, 2), Catch::Contains("cpu_threads"));

  // A CPU pipeline sets the count process-wide, like LibTorch's own setting.
  // Fewer than now, never more: under ThreadSanitizer (OMP_NUM_THREADS=1,
  // libgomp's synchronisation is invisible to it) no second thread starts.
  const int before = at::get_num_threads();
  const int want = before > 1 ? before - 1 : 1;
  PipelineOptions o;
  o.cpu_threads = want;
  o.warmup_frames = 0;
  { Pipeline p(o); }
  CHECK(at::get_num_threads() == want);
  at::set_num_threads(before);
}

TEST_CASE("an image the pipeline cannot take is refused and the next frame runs") {
  Pipeline p(PipelineOptions{});
  const test::Scene scene = test::two_disks_scene();
  Image bad = make_image(scene, 0);
  bad.components = 2;
  CHECK_THROWS_WITH(p.process(bad), Catch::Contains("components"));
  CHECK(p.process(make_image(scene, 0)).result.tracks.size() == 2);
  const Image good = make_image(scene, 1);
  CHECK_THROWS_WITH(p.process(ImageView(good, nullptr)), Catch::Contains("no pixels"));
}

TEST_CASE("a frame viewed in a received message gives what its decoded copy gives; no page-locked buffers on the CPU") {
  Pipeline viewed(PipelineOptions{}), decoded(PipelineOptions{});
  CHECK_FALSE(viewed.input_buffers());
  CHECK(viewed.counters().direct_uploads == 0);
  const test::Scene scene = test::two_disks_scene();
  for (int f = 0; f < 3; ++f) {
    const Message m = decode_message(
        std::make_shared<Bytes>(encode_image(Envelope{"IMAGE", "Image_Reference"}, make_image(scene, f))), true);
    Image swapped;
    const FrameResult a = viewed.process(view_image(m, swapped)).result;
    const FrameResult b = decoded.process(decode_image(m)).result;
    CHECK(a.labels == b.labels);
    CHECK(a.tracks.size() == b.tracks.size());
  }
}

TEST_CASE("timing replays on the CPU: nothing to time, the same results") {
  const test::Scene scene = test::two_disks_scene();
  Pipeline timed{PipelineOptions{}}, plain{PipelineOptions{}};
  timed.time_replays(true);
  for (int f = 0; f < 4; ++f) {
    const PipelineOutput a = timed.process(make_image(scene, f));
    const PipelineOutput b = plain.process(make_image(scene, f));
    CHECK_FALSE(a.replay);
    CHECK(a.result.labels == b.result.labels);
    CHECK(a.result.tracks.size() == b.result.tracks.size());
  }
}

TEST_CASE("saved demo models load from files like any model") {
  const auto dir = std::filesystem::temp_directory_path() / "igtb_demo_models_test";
  const auto paths = save_demo_models(dir.string());
  REQUIRE(paths.size() == 4);
  PipelineOptions o;
  o.detector = paths[0];
  o.encoder = paths[1];
  o.decoder = paths[2];
  Pipeline from_files(o);
  Pipeline builtin(PipelineOptions{});
  const test::Scene scene = test::two_disks_scene();
  const auto a = from_files.process(make_image(scene, 3)).result;
  const auto b = builtin.process(make_image(scene, 3)).result;
  CHECK(a.labels == b.labels);
  // Not remove_all: in binaries linked with the CUDA LibTorch 2.11 wheel,
  // std::filesystem's directory iteration crashed (SIGSEGV on the H100 host).
  for (const auto& f : paths) std::filesystem::remove(f);
  std::filesystem::remove(dir);
}

TEST_CASE("a model that throws at run time fails that frame only; the next frame runs") {
  // The demo detector, except that it raises on a very bright frame.
  torch::jit::Module flaky("__torch__.FlakyDetector");
  flaky.register_module("inner", make_demo_model(DemoModel::Detector));
  flaky.define(R"(
def forward(self, images: Tensor) -> Tuple[Tensor, Tensor]:
    if bool(images.mean() > 0.9):
        images = images.reshape([7])  # fails: a run-time error inside the module
    return self.inner.forward(images)
)");
  const auto path = (std::filesystem::temp_directory_path() / "igtb_flaky_detector.pt").string();
  flaky.save(path);
  PipelineOptions o;
  o.detector = path;
  Pipeline p(o);
  const test::Scene scene = test::two_disks_scene();
  CHECK(p.process(make_image(scene, 0)).result.tracks.size() == 2);
  Image bright = make_image(scene, 1);
  std::fill(bright.pixels.begin(), bright.pixels.end(), std::uint8_t(250));
  CHECK_THROWS_WITH(p.process(bright), Catch::Contains("is invalid for input of size"));
  const auto next = p.process(make_image(scene, 2)).result;
  CHECK(next.tracks.size() == 2);
  for (const auto& t : next.tracks) CHECK(t.state == std::uint8_t(TrackState::Visible));
  std::filesystem::remove(path);
}

TEST_CASE("warm_up on another thread leaves the pipeline as a fresh one: same labels and tracks") {
  // The bridge warms the pipeline up again on its frames' thread (CUDA keeps
  // per-thread state); afterwards nothing of the warm-up may show in the results.
  const test::Scene scene = test::two_disks_scene();
  PipelineOptions o;
  Pipeline fresh(o), rewarmed(o);
  for (int f = 0; f < 3; ++f) rewarmed.process(make_image(scene, f));  // tracks that warm_up must forget
  std::thread([&] { rewarmed.warm_up(); }).join();
  CHECK(rewarmed.counters().warmup_ms > 0);
  for (int f = 0; f < 6; ++f) {
    INFO("frame " << f);
    const auto a = fresh.process(make_image(scene, f)).result;
    const auto b = rewarmed.process(make_image(scene, f)).result;
    CHECK(a.labels == b.labels);
    REQUIRE(a.tracks.size() == b.tracks.size());
    for (std::size_t i = 0; i < a.tracks.size(); ++i) {
      CHECK(a.tracks[i].id == b.tracks[i].id);
      CHECK(a.tracks[i].state == b.tracks[i].state);
    }
  }
}
