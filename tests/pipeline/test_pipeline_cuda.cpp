// The pipeline on CUDA against the CPU reference, same frames, same demo
// models: labels and track states. Label `gpu`; without a CUDA device the
// test exits 77, which ctest reports as skipped.
#include "pipeline/cuda/frame_graph.hpp"
#include "pipeline/cuda/stream_fork.hpp"
#include "pipeline/cuda/transfer.hpp"
#include "pipeline/pipeline.hpp"
#include "transport/image_codec.hpp"

#include <torch/cuda.h>
#ifdef IGTB_WITH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

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

void compare(const std::string& precision, double min_iou, const std::string& encoder_precision = "") {
  PipelineOptions cpu_opt, gpu_opt;
  gpu_opt.device = "cuda";
  gpu_opt.precision = precision;
  gpu_opt.encoder_precision = encoder_precision;
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
TEST_CASE("CUDA fp16 with the encoder in fp32 (embeddings cast for the decoder) stays within IoU 0.98") {
  compare("fp16", 0.98, "fp32");
}

TEST_CASE("CUDA graphs: replayed frames give the eager frames' results, through a change of frame size") {
  PipelineOptions graph_opt, eager_opt;
  graph_opt.device = eager_opt.device = "cuda";
  eager_opt.cuda_graph = false;
  Pipeline graphed(graph_opt), eager(eager_opt);
  CHECK(eager.counters().graph_captures == 0);
  const std::uint64_t warm_captures = graphed.counters().graph_captures;  // the warm-up's own size
  test::Scene scene = test::two_disks_scene();
  test::Scene wider = scene;
  wider.width += 32;  // the same disks, a wider frame: a new shape, a new capture
  int frames = 0;
  for (int f = 0; f < 36; ++f, ++frames) {
    INFO("frame " << f);
    const Image img = make_image(f < 20 ? scene : wider, f);
    const auto a = eager.process(img).result;
    const auto b = graphed.process(img).result;
    REQUIRE(a.labels.size() == b.labels.size());
    CHECK(a.labels == b.labels);
    CHECK(a.unsegmented == b.unsegmented);
    REQUIRE(a.tracks.size() == b.tracks.size());
    for (std::size_t t = 0; t < a.tracks.size(); ++t) {
      CHECK(a.tracks[t].id == b.tracks[t].id);
      CHECK(a.tracks[t].state == b.tracks[t].state);
      for (int k = 0; k < 4; ++k) CHECK(std::abs(a.tracks[t].box[k] - b.tracks[t].box[k]) <= 1e-3f);
    }
  }
  INFO("graph failure: " << graphed.counters().graph_failure);
  CHECK(graphed.counters().graph_failure.empty());
  // Two eager frames per size, then a capture; every later frame replays.
  CHECK(graphed.counters().graph_captures == warm_captures + 2);
  CHECK(graphed.counters().graph_replays >= std::uint64_t(frames - 4));
}

TEST_CASE("timed replays: the launch call and the graph on the GPU, the same results as untimed replays") {
  PipelineOptions opt;
  opt.device = "cuda";
  Pipeline timed(opt), plain(opt);
  timed.time_replays(true);
  const test::Scene scene = test::two_disks_scene();
  int with_times = 0;
  for (int f = 0; f < 12; ++f) {
    INFO("frame " << f);
    const Image img = make_image(scene, f);
    const auto t0 = std::chrono::steady_clock::now();
    const PipelineOutput a = timed.process(img);
    const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const PipelineOutput b = plain.process(img);
    CHECK(a.result.labels == b.result.labels);
    CHECK(a.result.tracks.size() == b.result.tracks.size());
    CHECK_FALSE(b.replay);
    if (!a.replay) continue;
    ++with_times;
    CHECK(a.replay->launch_ms >= 0);
    CHECK(a.replay->gpu_ms > 0);
    // both lie inside the frame's own time on the host
    CHECK(a.replay->launch_ms <= wall_ms);
    CHECK(a.replay->gpu_ms <= wall_ms);
  }
  INFO("graph failure: " << timed.counters().graph_failure);
  CHECK(timed.counters().graph_failure.empty());
  // a new frame size: two eager frames and the capture's own replay untimed, then every frame
  CHECK(with_times >= 9);
  timed.time_replays(false);
  CHECK_FALSE(timed.process(make_image(scene, 12)).replay);
}

TEST_CASE("the encoder beside the detector gives the results of one after the other, replayed and eager") {
  PipelineOptions side_opt, serial_opt;
  side_opt.device = serial_opt.device = "cuda";
  serial_opt.overlap_encoder = false;
  serial_opt.cuda_graph = false;
  Pipeline beside(side_opt), serial(serial_opt);
  const test::Scene scene = test::two_disks_scene();
  for (int f = 0; f < 30; ++f) {
    INFO("frame " << f);
    const Image img = make_image(scene, f);
    const auto a = serial.process(img).result;
    const auto b = beside.process(img).result;
    CHECK(a.labels == b.labels);
    REQUIRE(a.tracks.size() == b.tracks.size());
    for (std::size_t t = 0; t < a.tracks.size(); ++t) {
      CHECK(a.tracks[t].id == b.tracks[t].id);
      CHECK(a.tracks[t].state == b.tracks[t].state);
    }
  }
  CHECK(beside.counters().graph_failure.empty());
  CHECK(beside.counters().graph_replays >= 26u);
}

#ifdef IGTB_WITH_CUDA  // the current-stream checks need c10::cuda
TEST_CASE("stream fork: a branch runs on its own stream, joins, and captures as a parallel path of a graph") {
  const torch::Device cuda(torch::kCUDA, 0);
  StreamFork fork(cuda);
  const auto n = std::int64_t(1) << 20;
  torch::Tensor x = torch::ones({n}, torch::dtype(torch::kFloat32).device(cuda));
  const c10::Stream origin = c10::cuda::getCurrentCUDAStream(0);
  {
    StreamFork::Branch branch(fork);
    CHECK(c10::Stream(c10::cuda::getCurrentCUDAStream(0)) == fork.side());
    CHECK_THROWS_AS([&] { StreamFork::Branch second(fork); }(), std::logic_error);
    const torch::Tensor a = x * 2;
    branch.close();
    CHECK(c10::Stream(c10::cuda::getCurrentCUDAStream(0)) == origin);
    const torch::Tensor b = x + 1;
    branch.join();
    CHECK((a + b).sum().item<float>() == float(4 * n));
  }
  // In a capture: the branch is a parallel path, and each replay joins it.
  FrameGraph graph(cuda);
  torch::Tensor out = torch::zeros({n}, x.options());
  std::string why;
  CHECK(graph.capture([&] {
    StreamFork::Branch branch(fork);
    const torch::Tensor s = x * 3;
    branch.close();
    const torch::Tensor t = x * 4;
    branch.join();
    out.copy_(s + t);
  }, &why));
  INFO("capture: " << why);
  x.fill_(2);
  graph.replay();
  CHECK(out.sum().item<float>() == float(14 * n));
  // A branch that syncs with the host inside a capture: the capture fails,
  // the branch is joined on the way out, and both streams keep working.
  FrameGraph failing(cuda);
  CHECK_FALSE(failing.capture([&] {
    StreamFork::Branch branch(fork);
    (void)(x * 2).sum().item<float>();
  }, &why));
  CHECK(c10::Stream(c10::cuda::getCurrentCUDAStream(0)) == origin);
  {
    StreamFork::Branch branch(fork);
    const torch::Tensor a = x * 5;
    branch.join();
    CHECK(a.sum().item<float>() == float(10 * n));
  }
  CHECK(failing.capture([&] {
    StreamFork::Branch branch(fork);
    const torch::Tensor s = x + 1;
    branch.join();
    out.copy_(s);
  }, &why));
  failing.replay();
  CHECK(out.sum().item<float>() == float(3 * n));
}
#endif

TEST_CASE("two streams on one GPU: two pipelines in two threads give what each gives alone") {
  PipelineOptions o;
  o.device = "cuda";
  const test::Scene a = test::two_disks_scene();
  test::Scene b = a;
  b.width += 32;  // the other stream: another frame size
  constexpr int kFrames = 30;
  auto run_alone = [&](const test::Scene& scene) {
    Pipeline p(o);
    std::vector<FrameResult> out;
    for (int f = 0; f < kFrames; ++f) out.push_back(p.process(make_image(scene, f)).result);
    return out;
  };
  const auto alone_a = run_alone(a), alone_b = run_alone(b);
  Pipeline pa(o), pb(o);
  std::vector<FrameResult> got_a, got_b;
  std::thread ta([&] {
    for (int f = 0; f < kFrames; ++f) got_a.push_back(pa.process(make_image(a, f)).result);
  });
  std::thread tb([&] {
    for (int f = 0; f < kFrames; ++f) got_b.push_back(pb.process(make_image(b, f)).result);
  });
  ta.join();
  tb.join();
  REQUIRE(got_a.size() == std::size_t(kFrames));
  REQUIRE(got_b.size() == std::size_t(kFrames));
  int same = 0;
  for (int f = 0; f < kFrames; ++f) {
    INFO("frame " << f);
    for (const auto* pair : {&alone_a, &alone_b}) {
      const auto& alone = (*pair)[std::size_t(f)];
      const auto& got = pair == &alone_a ? got_a[std::size_t(f)] : got_b[std::size_t(f)];
      CHECK(got.labels == alone.labels);
      REQUIRE(got.tracks.size() == alone.tracks.size());
      for (std::size_t t = 0; t < got.tracks.size(); ++t) {
        CHECK(got.tracks[t].id == alone.tracks[t].id);
        CHECK(got.tracks[t].state == alone.tracks[t].state);
      }
      same += got.labels == alone.labels;
    }
  }
  CHECK(same == 2 * kFrames);
  CHECK(pa.counters().graph_failure.empty());
  CHECK(pb.counters().graph_failure.empty());
  CHECK(pa.counters().graph_replays >= std::uint64_t(kFrames - 2));
  CHECK(pb.counters().graph_replays >= std::uint64_t(kFrames - 2));
}

TEST_CASE("CUDA graphs: a capture that syncs with the host fails cleanly and the device keeps working") {
  const torch::Device cuda(torch::kCUDA, 0);
  FrameGraph graph(cuda);
  const torch::Tensor x = torch::arange(16, torch::dtype(torch::kFloat32).device(cuda));
  std::string why;
  CHECK_FALSE(graph.capture([&] { (void)(x * 2).sum().item<float>(); }, &why));
  CHECK_FALSE(why.empty());
  CHECK_FALSE(graph.ready());
  CHECK_THROWS_AS(graph.replay(), std::logic_error);
  // Eager work runs, and a capture of valid work then succeeds and replays.
  CHECK((x * 2).sum().item<float>() == 240.0f);
  torch::Tensor out = torch::zeros({16}, x.options());
  CHECK(graph.capture([&] { out.copy_(x * 3); }, &why));
  graph.replay();
  graph.replay();
  torch::cuda::synchronize();
  CHECK(out.sum().item<float>() == 360.0f);
  CHECK(graph.captures() == 1);
  CHECK(graph.replays() == 2);
}

TEST_CASE("upload ring: every frame arrives intact while slots are reused") {
  const torch::Device cuda(torch::kCUDA, 0);
  UploadRing ring(cuda, 2);
  torch::Tensor dst = torch::empty({1 << 20}, torch::dtype(torch::kUInt8).device(cuda));
  torch::Tensor sums = torch::zeros({100}, torch::dtype(torch::kInt64).device(cuda));
  std::vector<std::uint8_t> frame(1 << 20);
  std::int64_t want_total = 0;
  std::vector<std::int64_t> want(100);
  for (int i = 0; i < 100; ++i) {
    for (std::size_t k = 0; k < frame.size(); ++k) frame[k] = std::uint8_t((k * 7 + std::size_t(i) * 13) & 0xff);
    want[std::size_t(i)] = 0;
    for (auto v : frame) want[std::size_t(i)] += v;
    want_total += want[std::size_t(i)];
    ring.upload(frame.data(), frame.size(), dst);  // frame is rewritten at once: the ring copied it
    sums[i].copy_(dst.sum(torch::kInt64));          // queued behind the upload, before the next one
  }
  const torch::Tensor got = sums.cpu();
  for (int i = 0; i < 100; ++i) CHECK(got[i].item<std::int64_t>() == want[std::size_t(i)]);
  CHECK(ring.uploads() == 100);
  CHECK(ring.slots() == 2);
  CHECK(got.sum().item<std::int64_t>() == want_total);
  torch::Tensor wrong = torch::empty({10}, torch::dtype(torch::kUInt8).device(cuda));
  CHECK_THROWS_AS(ring.upload(frame.data(), frame.size(), wrong), std::invalid_argument);
}

TEST_CASE("frames received into the pipeline's page-locked buffers go to the device with no host copy, same results") {
  PipelineOptions o;
  o.device = "cuda";
  o.upload_slots = 2;
  Pipeline plain(o), pooled(o);
  const std::shared_ptr<BufferPool> pool = pooled.input_buffers();
  REQUIRE(pool);
  CHECK(pool->buffers() == 2);
  const test::Scene scene = test::two_disks_scene();
  const std::uint64_t direct0 = pooled.counters().direct_uploads, plain0 = plain.counters().direct_uploads;
  std::shared_ptr<const Bytes> held;  // one message kept a frame longer, as the mailbox may
  for (int f = 0; f < 12; ++f) {
    INFO("frame " << f);
    const Image img = make_image(scene, f);
    const Bytes wire = encode_image(Envelope{"IMAGE", "Image_Reference", 0, 2}, img);
    std::shared_ptr<Bytes> buf = pool->acquire(wire.size());  // what the upstream reader receives into
    REQUIRE(buf);
    std::copy(wire.begin(), wire.end(), buf->begin());
    const Message m = decode_message(buf, true);
    buf.reset();
    Image swapped;
    const ImageView view = view_image(m, swapped);
    CHECK(swapped.pixels.empty());
    const FrameResult got = pooled.process(view).result;
    const FrameResult want = plain.process(img).result;
    CHECK(got.labels == want.labels);
    REQUIRE(got.tracks.size() == want.tracks.size());
    for (std::size_t t = 0; t < got.tracks.size(); ++t) CHECK(got.tracks[t].id == want.tracks[t].id);
    held = m.wire;
  }
  CHECK(pooled.counters().direct_uploads - direct0 == 12);
  CHECK(plain.counters().direct_uploads == plain0);  // its frames went through the ring's slots
  CHECK(pool->created() == 2);              // two buffers, reused
  CHECK(pool->misses() == 0);
  auto a = pool->acquire(100);  // with `held`, both are out: the next one is a miss
  CHECK_FALSE(pool->acquire(100));
  CHECK(pool->misses() == 1);
}

int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::printf("skipped: no CUDA device (this LibTorch build or machine)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
