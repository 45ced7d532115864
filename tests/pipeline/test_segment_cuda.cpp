// The segment shape (pipeline.kind: segment) on CUDA against the CPU: the
// same frames and network give the same class maps, tracks and states, with
// CUDA graphs captured and replayed; the demo bone-surface network too.
// Label `gpu`; without a CUDA device the test exits 77 (skipped).
#include "pipeline/pipeline.hpp"

#include <torch/cuda.h>

#include <cstdio>

#include "../support/synthetic_scene.hpp"
#include "../support/two_class_model.hpp"

#undef CHECK
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

using namespace igtb;

namespace {

/// Pixels where both maps agree on a non-zero value, over those where either is non-zero.
double agreement(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  std::size_t both = 0, either = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    both += a[i] != 0 && a[i] == b[i];
    either += a[i] != 0 || b[i] != 0;
  }
  return either ? double(both) / double(either) : 1.0;
}

void compare(const std::string& precision, bool graphs, double min_agreement) {
  PipelineOptions cpu_opt;
  cpu_opt.kind = PipelineKind::Segment;
  cpu_opt.semantic.model = test::save_two_class_model("cuda_two_class", 160);
  cpu_opt.semantic.keep_probability = true;
  PipelineOptions gpu_opt = cpu_opt;
  gpu_opt.device = "cuda";
  gpu_opt.precision = precision;
  gpu_opt.cuda_graph = graphs;
  Pipeline cpu(cpu_opt), gpu(gpu_opt);
  const test::Scene scene = test::two_class_scene();
  for (int f = 0; f < 30; ++f) {
    INFO(precision << (graphs ? " graphs" : " eager") << ", frame " << f);
    const FrameResult a = cpu.process(test::scene_image(scene, f)).result;
    const FrameResult b = gpu.process(test::scene_image(scene, f)).result;
    CHECK(agreement(a.labels, b.labels) >= min_agreement);
    REQUIRE(b.probability.size() == a.probability.size());
    REQUIRE(a.tracks.size() == b.tracks.size());
    for (std::size_t t = 0; t < a.tracks.size(); ++t) {
      CHECK(a.tracks[t].id == b.tracks[t].id);
      CHECK(a.tracks[t].label == b.tracks[t].label);
      CHECK(a.tracks[t].state == b.tracks[t].state);
      for (int k = 0; k < 4; ++k) CHECK(std::abs(a.tracks[t].box[k] - b.tracks[t].box[k]) <= 2.0f);
    }
  }
  const PipelineCounters c = gpu.counters();
  CHECK(c.graph_failure.empty());
  if (graphs) {
    CHECK(c.graph_captures >= 1);
    CHECK(c.graph_replays >= 25);
  } else {
    CHECK(c.graph_replays == 0);
  }
}

}  // namespace

TEST_CASE("segment shape on CUDA fp32 gives the CPU's class maps, tracks and states, graphs replayed") {
  compare("fp32", true, 0.995);
}
TEST_CASE("segment shape on CUDA fp32, eager") { compare("fp32", false, 0.995); }
TEST_CASE("segment shape on CUDA fp16 and bf16 stay within 0.98 of the CPU's class maps") {
  compare("fp16", true, 0.98);
  compare("bf16", true, 0.98);
}

TEST_CASE("the demo bone-surface network runs on CUDA in every precision, as on the CPU") {
  Image frame;  // a bright band over a dark shadow, on a grey field with black margins
  frame.dims = {320, 240, 1};
  frame.subvolume_size = frame.dims;
  frame.pixels.assign(320 * 240, 0);
  for (int y = 10; y < 230; ++y)
    for (int x = 40; x < 280; ++x) {
      const bool band = y >= 90 && y < 98 && x >= 100 && x < 220;
      const bool shadow = y >= 98 && x >= 100 && x < 220;
      frame.pixels[std::size_t(y * 320 + x)] = std::uint8_t(band ? 230 : shadow ? 8 : 90);
    }
  PipelineOptions o;
  o.kind = PipelineKind::Segment;
  const FrameResult want = Pipeline(o).process(frame).result;
  for (const char* precision : {"fp32", "fp16", "bf16"}) {
    INFO(precision);
    o.device = "cuda";
    o.precision = precision;
    Pipeline gpu(o);
    FrameResult got;
    for (int i = 0; i < 4; ++i) got = gpu.process(frame).result;  // eager, eager, captured, replayed
    CHECK(agreement(want.labels, got.labels) >= 0.9);
    CHECK(std::count(got.labels.begin(), got.labels.end(), 1) > 200);
  }
}

int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::printf("skipped: no CUDA device (this LibTorch build or machine)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
