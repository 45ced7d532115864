// The CUDA frame's copies, counted by the driver's activity records (CUPTI):
// exactly one host-to-device copy (the frame) and one device-to-host copy
// (the packed result) per steady-state frame, with CUDA graphs and without.
// Label `gpu`; without a CUDA device or CUPTI the test exits 77 (skipped).
#include "pipeline/pipeline.hpp"
#include "pipeline/tracking/device_tracker.hpp"
#include "transport/image_codec.hpp"
#include "tools/copy_counter.hpp"

#include <torch/cuda.h>

#include <cstdio>

#include "../support/synthetic_scene.hpp"
#include "../support/two_class_model.hpp"

#undef CHECK
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

using namespace igtb;

namespace {

/// The frame as the bridge gets it: received into one of the pipeline's
/// page-locked buffers and viewed there.
struct Received {
  Message message;
  Image swapped;
  ImageView view;
  Received(Pipeline& p, const Image& img) {
    const Bytes wire = encode_image(Envelope{"IMAGE", "Image_Reference", 0, 1}, img);
    std::shared_ptr<Bytes> buf = p.input_buffers()->acquire(wire.size());
    REQUIRE(buf);
    std::copy(wire.begin(), wire.end(), buf->begin());
    message = decode_message(buf, true);
    view = view_image(message, swapped);
  }
};

void one_copy_each_way(bool graphs, bool received, bool segment = false) {
  {  // CUPTI on (and off) before any graph exists: started after a graph is built it may miss its copies
    CopyCounter init;
    init.start();
    init.stop();
  }
  PipelineOptions o;
  o.device = "cuda";
  o.cuda_graph = graphs;
  if (segment) {
    o.kind = PipelineKind::Segment;
    o.semantic.model = test::save_two_class_model("copies_two_class", 160);
  }
  Pipeline p(o);
  const test::Scene scene = segment ? test::two_class_scene() : test::two_disks_scene();
  for (int f = 0; f < 5; ++f) p.process(test::scene_image(scene, f));  // new size: eager, eager, capture, replays
  constexpr int kFrames = 20;
  CopyCounter counter;
  counter.start();
  const std::uint64_t direct0 = p.counters().direct_uploads;
  for (int f = 5; f < 5 + kFrames; ++f) {
    if (received)
      p.process(Received(p, test::scene_image(scene, f)).view);
    else
      p.process(test::scene_image(scene, f));
  }
  const CopyCounts c = counter.stop();
  CHECK(p.counters().direct_uploads - direct0 == (received ? kFrames : 0));
  INFO("graphs " << graphs << ", received " << received << ": H2D " << c.h2d << " (" << c.h2d_bytes << " bytes), D2H " << c.d2h << " ("
                 << c.d2h_bytes << " bytes), D2D " << c.d2d << ", other " << c.other);
  CHECK(c.h2d == kFrames);
  CHECK(c.d2h == kFrames);
  const std::uint64_t pixels = std::uint64_t(scene.width) * std::uint64_t(scene.height);
  CHECK(c.h2d_bytes == kFrames * pixels);                                   // the frame's bytes, once
  if (segment)
    CHECK(c.d2h_bytes == kFrames * 2 * pixels);  // class map + foreground probability
  else
    CHECK(c.d2h_bytes == kFrames * (pixels + std::uint64_t(p.tracker().block_bytes())));  // labels + track block
  if (graphs) CHECK(p.counters().graph_replays >= kFrames);
}

}  // namespace

TEST_CASE("one H2D and one D2H per frame, CUDA graphs on") { one_copy_each_way(true, false); }
TEST_CASE("one H2D and one D2H per frame, eager") { one_copy_each_way(false, false); }
TEST_CASE("one H2D and one D2H per frame received into a page-locked buffer (no host copy)") {
  one_copy_each_way(true, true);
}
TEST_CASE("segment shape: one H2D and one D2H per frame, CUDA graphs on and off") {
  one_copy_each_way(true, false, true);
  one_copy_each_way(false, false, true);
}

int main(int argc, char** argv) {
  if (!torch::cuda::is_available() || !CopyCounter::available()) {
    std::printf("skipped: no CUDA device or no CUPTI in this build\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
