// The tracker step's CUDA kernels against the same code on the host and the
// reference solver: 10,000 random assignments (ties included), random track
// sequences frame by frame, and the step inside a captured CUDA graph (so
// it holds no sync). Label `gpu`; exits 77 (skipped) without CUDA.
#include "pipeline/tracking/device_tracker.hpp"

#include <torch/cuda.h>

#include <cstdio>
#include <random>

#include "../support/random_tracks.hpp"
#include "oracle/assignment.hpp"
#include "pipeline/stages/result.hpp"

#ifdef IGTB_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#undef CHECK
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

using namespace igtb;

namespace {

const torch::Device kCuda(torch::kCUDA, 0);


DetectionSet on(const DetectionSet& d, const torch::Device& device) {
  DetectionSet o;
  o.scores = d.scores.to(device);
  o.boxes_norm = d.boxes_norm.to(device);
  o.valid = d.valid.to(device);
  return o;
}

}  // namespace

TEST_CASE("CUDA solver: the reference's assignment on 10,000 random matrices, ties included") {
  std::mt19937 rng(11);
  int checked = 0, differ = 0;
  for (int group = 0; group < 100; ++group) {
    const int hi = group % 5 == 0 ? 64 : 16;
    const int rows = std::uniform_int_distribution<int>(1, hi)(rng), cols = std::uniform_int_distribution<int>(1, hi)(rng);
    const torch::Tensor costs = test::random_costs(rng, 100, rows, cols, group % 2 == 0);
    const torch::Tensor got = assign_batch(costs.to(kCuda)).to(torch::kCPU);
    for (int b = 0; b < 100; ++b, ++checked) {
      const std::vector<int> want = test::reference_assignment(costs, b);
      differ += std::vector<int>(got[b].data_ptr<std::int32_t>(), got[b].data_ptr<std::int32_t>() + rows) != want;
    }
  }
  CHECK(checked == 10000);
  CHECK(differ == 0);
}

TEST_CASE("CUDA tracker step: the host step's bytes, frame by frame") {
  constexpr int kWidth = 820, kHeight = 616, kTopK = 10;
  int frames = 0, differ = 0;
  for (unsigned seq = 0; seq < 40; ++seq) {
    test::RandomTracks gen(5000 + seq, kTopK, 0.5);
    const TrackParams cfg = gen.config();
    DeviceTracker host(cfg, kTopK, torch::kCPU), dev(cfg, kTopK, kCuda);
    torch::Tensor hb = torch::zeros({host.block_bytes()}, torch::kUInt8);
    torch::Tensor db = torch::zeros({dev.block_bytes()}, torch::dtype(torch::kUInt8).device(kCuda));
    for (int f = 0; f < 50; ++f, ++frames) {
      INFO("sequence " << seq << " frame " << f);
      const test::RandomFrame fr = gen.next();
      const TrackSlots hs = host.update(fr.set, kWidth, kHeight, hb);
      const TrackSlots ds = dev.update(on(fr.set, kCuda), kWidth, kHeight, db);
      const bool same = torch::equal(hb, db.cpu()) && torch::equal(hs.boxes, ds.boxes.cpu()) &&
                        torch::equal(hs.ids, ds.ids.cpu());
      differ += !same;
    }
  }
  CHECK(frames == 2000);
  CHECK(differ == 0);
}

#ifdef IGTB_WITH_CUDA
TEST_CASE("CUDA tracker step: captured in a CUDA graph and replayed, same results as eager") {
  constexpr int kTopK = 10;
  test::RandomTracks gen(77, kTopK, 0.5);
  const TrackParams cfg = gen.config();
  DeviceTracker eager(cfg, kTopK, kCuda), graphed(cfg, kTopK, kCuda);
  const auto opts = torch::dtype(torch::kUInt8).device(kCuda);
  torch::Tensor eb = torch::zeros({eager.block_bytes()}, opts), gb = torch::zeros({graphed.block_bytes()}, opts);
  // Static inputs the graph reads: each frame is copied into them first.
  const test::RandomFrame first = gen.next();
  DetectionSet in = on(first.set, kCuda);
  at::cuda::CUDAGraph graph;
  TrackSlots gs;
  {
    c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
    c10::cuda::CUDAStreamGuard guard(side);
    graph.capture_begin();
    gs = graphed.update(in, 820, 616, gb);
    graph.capture_end();
  }
  graphed.reset();  // capture does not run the kernel, but start both from empty
  int differ = 0;
  for (int f = 0; f < 200; ++f) {
    const test::RandomFrame fr = f == 0 ? first : gen.next();
    const DetectionSet cur = on(fr.set, kCuda);
    in.scores.copy_(cur.scores);
    in.boxes_norm.copy_(cur.boxes_norm);
    in.valid.copy_(cur.valid);
    graph.replay();
    const TrackSlots es = eager.update(cur, 820, 616, eb);
    differ += !(torch::equal(eb.cpu(), gb.cpu()) && torch::equal(es.ids.cpu(), gs.ids.cpu()) &&
                torch::equal(es.boxes.cpu(), gs.boxes.cpu()));
  }
  CHECK(differ == 0);
}
#endif

int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::printf("skipped: no CUDA device (this LibTorch build or machine)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
