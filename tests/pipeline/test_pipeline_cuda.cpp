// The pipeline on CUDA against the CPU reference, same frames, same demo
// models: labels and track states. Label `gpu`; without a CUDA device the
// test exits 77, which ctest reports as skipped.
#include "pipeline/pipeline.hpp"

#include <torch/cuda.h>

#include <cstdio>

#include "../support/synthetic_scene.hpp"

#undef CHECK
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

using namespace igtb;

namespace {

Image make_image(const test::Scene& s, int f) { return test::scene_image(s, f); }

double label_agreement(const FrameResult& a, const FrameResult& b) {
  std::size_t both = 0, either = 0;
  for (std::size_t i = 0; i < a.labels.size(); ++i) {
    const bool la = a.labels[i] != 0, lb = b.labels[i] != 0;
    both += la && lb && a.labels[i] == b.labels[i];
    either += la || lb;
  }
  return either ? double(both) / double(either) : 1.0;
}

void compare(const std::string& precision, double min_iou) {
  PipelineOptions cpu_opt, gpu_opt;
  gpu_opt.device = "cuda";
  gpu_opt.precision = precision;
  Pipeline cpu(cpu_opt), gpu(gpu_opt);
  CHECK(gpu.device().is_cuda());
  const test::Scene scene = test::two_disks_scene();
  for (int f = 0; f < 36; ++f) {
    INFO(precision << " frame " << f);
    const auto a = cpu.process(make_image(scene, f)).result;
    const auto b = gpu.process(make_image(scene, f)).result;
    REQUIRE(a.tracks.size() == b.tracks.size());
    for (std::size_t t = 0; t < a.tracks.size(); ++t) {
      CHECK(a.tracks[t].id == b.tracks[t].id);
      CHECK(a.tracks[t].state == b.tracks[t].state);
      // fp32: boxes within half a pixel. fp16 may move a box edge by one detector cell.
      const float tol = precision == "fp32" ? 0.5f : 1.0f + float(scene.width) / 80.0f;
      for (int k = 0; k < 4; ++k) CHECK(std::abs(a.tracks[t].box[k] - b.tracks[t].box[k]) <= tol);
    }
    CHECK(label_agreement(a, b) >= min_iou);
  }
}

}  // namespace

TEST_CASE("CUDA fp32 gives the CPU's labels, ids, states and boxes") { compare("fp32", 0.995); }
TEST_CASE("CUDA fp16 stays within IoU 0.98 of the CPU's labels") { compare("fp16", 0.98); }

int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::printf("skipped: no CUDA device (this LibTorch build or machine)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
