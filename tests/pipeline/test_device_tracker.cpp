// The device tracker's step, run on the host (the same code the CUDA kernel
// runs), against the reference Tracker and solve_assignment.
#include "pipeline/tracking/device_tracker.hpp"

#include <random>

#include "../support/random_tracks.hpp"
#include "../support/thread_lanes.hpp"
#include "oracle/assignment.hpp"
#include "pipeline/stages/result.hpp"

#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("the step's solver gives solve_assignment's assignment on 10,000 random matrices, ties included") {
  std::mt19937 rng(7);
  int checked = 0, differ = 0;
  for (int group = 0; group < 100; ++group) {
    // Mostly small (the tracker's case), now and then up to 64 x 64.
    const int hi = group % 10 == 0 ? 64 : 12;
    const int rows = std::uniform_int_distribution<int>(1, hi)(rng), cols = std::uniform_int_distribution<int>(1, hi)(rng);
    const torch::Tensor costs = test::random_costs(rng, 100, rows, cols, group % 2 == 0);
    const torch::Tensor got = assign_batch(costs);
    REQUIRE(got.sizes() == torch::IntArrayRef({100, rows}));
    for (int b = 0; b < 100; ++b, ++checked) {
      const std::vector<int> want = test::reference_assignment(costs, b);
      const std::vector<int> have(got[b].data_ptr<std::int32_t>(), got[b].data_ptr<std::int32_t>() + rows);
      differ += have != want;
    }
  }
  CHECK(checked == 10000);
  CHECK(differ == 0);
}

TEST_CASE("assign_batch: empty sides and bad shapes") {
  CHECK(assign_batch(torch::zeros({3, 0, 5}, torch::kFloat64)).sizes() == torch::IntArrayRef({3, 0}));
  CHECK((assign_batch(torch::zeros({2, 4, 0}, torch::kFloat64)) == -1).all().item<bool>());
  CHECK_THROWS_AS(assign_batch(torch::zeros({1, 65, 3})), std::invalid_argument);
  CHECK_THROWS_AS(assign_batch(torch::zeros({4, 4})), std::invalid_argument);
}

TEST_CASE("the device tracker on the host follows the reference Tracker frame by frame") {
  constexpr int kWidth = 640, kHeight = 480, kTopK = 10;
  int frames = 0, with_tracks = 0, evictions_or_refusals = 0, unsegmented_frames = 0;
  for (unsigned seq = 0; seq < 60; ++seq) {
    test::RandomTracks gen(1000 + seq, kTopK, 0.5);
    const TrackParams cfg = gen.config();
    Tracker ref(cfg);
    DeviceTracker dev(cfg, kTopK, torch::kCPU);
    torch::Tensor packed = torch::zeros({dev.block_bytes() + kWidth * kHeight}, torch::kUInt8);
    torch::Tensor block = packed.slice(0, 0, dev.block_bytes());
    for (int f = 0; f < 40; ++f, ++frames) {
      INFO("sequence " << seq << " frame " << f << " max_tracks " << cfg.max_tracks);
      const test::RandomFrame fr = gen.next();
      ref.update(fr.reference);
      const TrackSlots slots = dev.update(fr.set, kWidth, kHeight, block);
      const FrameResult r = unpack_result(packed.data_ptr<std::uint8_t>(), std::size_t(packed.numel()));
      REQUIRE(r.tracks.size() == ref.tracks().size());
      std::vector<std::uint8_t> visible;
      for (std::size_t t = 0; t < r.tracks.size(); ++t) {
        const Track& want = ref.tracks()[t];
        CHECK(r.tracks[t].id == want.id);
        CHECK(r.tracks[t].state == std::uint8_t(want.visibility.state()));
        CHECK(r.tracks[t].score == float(want.score));
        const Box& b = want.box;
        CHECK(r.tracks[t].box[0] == float((b.cx - b.w / 2) * double(kWidth)));
        CHECK(r.tracks[t].box[3] == float((b.cy + b.h / 2) * double(kHeight)));
        if (want.visibility.state() == TrackState::Visible) visible.push_back(want.id);
      }
      CHECK(dev.state().refused == ref.refused());
      // The segmenter's slots: the VISIBLE tracks in order, then id 0.
      const int used = std::min<int>(int(visible.size()), kTopK);
      for (int s = 0; s < kTopK; ++s)
        CHECK(slots.ids[s].item<std::uint8_t>() == (s < used ? visible[std::size_t(s)] : 0));
      CHECK(r.unsegmented == std::max(0, int(visible.size()) - kTopK));
      with_tracks += !r.tracks.empty();
      unsegmented_frames += r.unsegmented > 0;
      evictions_or_refusals += int(ref.tracks().size()) == cfg.max_tracks;
    }
  }
  // The sequences exercised what they are for.
  CHECK(frames == 2400);
  CHECK(with_tracks > 1500);
  CHECK(evictions_or_refusals > 100);
  WARN("frames " << frames << ", with tracks " << with_tracks << ", at capacity " << evictions_or_refusals
                 << ", with unsegmented VISIBLE tracks " << unsegmented_frames);
}

TEST_CASE("8 lanes (threads standing in for the CUDA warp's 32) give the one-lane results") {
  // The kernel's lane-parallel paths with real concurrency: a missing sync
  // gives a wrong answer or a hang here, or a race report under TSan (with 32
  // lanes it found one: lane 0 flipping the augmenting path while other lanes still
  // read the loop condition). 8 lanes keep the barriers cheap on 2 cores;
  // matrices up to 64 wide still give every lane several columns.
  using Lanes = test::ThreadLanes<8>;
  std::mt19937 rng(3);
  int differ = 0;
  for (int group = 0; group < 12; ++group) {
    const int hi = group % 4 == 0 ? 64 : 12;
    const int rows = std::uniform_int_distribution<int>(1, hi)(rng), cols = std::uniform_int_distribution<int>(1, hi)(rng);
    const torch::Tensor costs = test::random_costs(rng, 5, rows, cols, group % 2 == 0);
    const torch::Tensor one = assign_batch(costs);
    for (int b = 0; b < 5; ++b) {
      step::SolverScratch s;
      std::vector<int> got(std::size_t(rows), -2);
      const double* c = costs.data_ptr<double>() + std::int64_t(b) * rows * cols;
      Lanes::run([&](const Lanes& L) { step::assign(L, rows, cols, c, s, got.data()); });
      differ += got != std::vector<int>(one[b].data_ptr<std::int32_t>(), one[b].data_ptr<std::int32_t>() + rows);
    }
  }
  CHECK(differ == 0);

  int frames = 0, frames_differ = 0;
  for (unsigned seq = 0; seq < 4; ++seq) {
    test::RandomTracks gen(9000 + seq, 10, 0.5);
    const TrackParams cfg = gen.config();
    DeviceTracker one_lane(cfg, 10, torch::kCPU);
    step::Params p = tracker_params(cfg, 10);
    p.width = 820;
    p.height = 616;
    auto state = std::make_unique<step::State>();
    auto scratch = std::make_unique<step::Scratch>();
    *state = step::State{};
    torch::Tensor block = torch::zeros({one_lane.block_bytes()}, torch::kUInt8);
    torch::Tensor mine = torch::zeros({one_lane.block_bytes()}, torch::kUInt8);
    torch::Tensor boxes = torch::zeros({10, 4}), ids = torch::zeros({10}, torch::kUInt8);
    for (int f = 0; f < 25; ++f, ++frames) {
      const test::RandomFrame fr = gen.next();
      const TrackSlots want = one_lane.update(fr.set, 820, 616, block);
      const torch::Tensor valid = fr.set.valid.contiguous();
      const step::Inputs in{fr.set.scores.data_ptr<float>(), fr.set.boxes_norm.data_ptr<float>(), valid.data_ptr<bool>(), 10};
      const step::Outputs out{mine.data_ptr<std::uint8_t>(), boxes.data_ptr<float>(), ids.data_ptr<std::uint8_t>()};
      Lanes::run([&](const Lanes& L) { step::frame_step(L, p, *state, *scratch, in, out); });
      frames_differ += !(torch::equal(block, mine) && torch::equal(want.boxes, boxes) && torch::equal(want.ids, ids));
    }
  }
  CHECK(frames == 100);
  CHECK(frames_differ == 0);
}

TEST_CASE("the device tracker refuses what it cannot hold") {
  TrackParams c;
  c.max_tracks = 65;
  CHECK_THROWS_AS(DeviceTracker(c, 10, torch::kCPU), std::invalid_argument);
  c.max_tracks = 8;
  CHECK_THROWS_AS(DeviceTracker(c, 0, torch::kCPU), std::invalid_argument);
  DeviceTracker t(c, 4, torch::kCPU);
  torch::Tensor small = torch::zeros({t.block_bytes() - 1}, torch::kUInt8);
  DetectionSet d;
  d.scores = torch::zeros({4});
  d.boxes_norm = torch::zeros({4, 4});
  d.valid = torch::zeros({4}, torch::kBool);
  CHECK_THROWS_AS(t.update(d, 10, 10, small), std::invalid_argument);
  d.scores = torch::zeros({65});
  torch::Tensor block = torch::zeros({t.block_bytes()}, torch::kUInt8);
  CHECK_THROWS_AS(t.update(d, 10, 10, block), std::invalid_argument);
}
