#include "tools/pipeline_bench.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <ATen/Parallel.h>

#include "bridge/frame_report.hpp"
#include "pipeline/cuda/transfer.hpp"
#include "core/percentile.hpp"
#include "io/sequence.hpp"
#include "pipeline/stages/contours.hpp"
#include "tools/replay.hpp"

namespace igtb {

StageSummary summarize(const std::string& name, const std::vector<double>& ms) {
  double sum = 0;
  for (double x : ms) sum += x;
  return StageSummary{name, percentile(ms, 50), percentile(ms, 95), percentile(ms, 99),
                      ms.empty() ? 0 : sum / double(ms.size())};
}

namespace {

std::vector<Image> bench_images(const std::string& file) {
  const io::Sequence seq = io::read_sequence(file);
  std::vector<Image> images;
  for (std::size_t i = 0; i < seq.frames.size(); ++i)
    if (seq.frames[i].image_valid) images.push_back(replay_image(seq, i));
  if (images.empty()) throw std::runtime_error(file + ": no valid frame to run");
  return images;
}

std::string frame_label(const Image& img) {
  return std::to_string(img.dims[0]) + "x" + std::to_string(img.dims[1]) + "x" + std::to_string(img.components) + " " +
         std::string(scalar_name(img.scalar));
}

using Clock = std::chrono::steady_clock;

/// The timed frames of one pipeline: e2e milliseconds of each.
std::vector<double> timed_frames(Pipeline& p, const std::vector<Image>& images, std::uint64_t first, std::uint64_t n) {
  std::vector<double> e2e;
  e2e.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    p.process(images[(first + i) % images.size()]);
    e2e.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return e2e;
}

/// {"p50": .., "p95": .., "p99": .., "mean": ..} of a summary, in ms.
std::string summary_json(const StageSummary& s) {
  auto num = [](double v) { return json_number(v, 4); };
  return "{\"p50\": " + num(s.p50) + ", \"p95\": " + num(s.p95) + ", \"p99\": " + num(s.p99) + ", \"mean\": " +
         num(s.mean) + "}";
}

}  // namespace

PipelineBenchResult run_pipeline_bench(const PipelineBenchOptions& o) {
  const std::vector<Image> images = bench_images(o.file);

  if (o.count_copies > 0) CopyCounter::require();  // before the models load
  if (o.kernel_profile > 0) KernelProfiler::require();
  const torch::Device device = model_device(o.pipeline.device);
  const std::size_t memory_before = device_memory_in_use(device);  // after the context exists
  Pipeline p(o.pipeline);
  if (o.count_copies > 0 && !p.device().is_cuda())
    throw std::invalid_argument("counting copies needs models.device cuda (the CPU makes no host<->device copies)");
  if (o.kernel_profile > 0 && !p.device().is_cuda())
    throw std::invalid_argument("profiling kernels needs models.device cuda");
  if (o.replay_timing > 0 && (!p.device().is_cuda() || !o.pipeline.cuda_graph || o.pipeline.sync_timing))
    throw std::invalid_argument("timing graph replays needs models.device cuda with pipeline.cuda_graph on "
                                "(and no --sync-stages)");
  PipelineBenchResult r;
  r.device = p.device().str();
  r.cpu_threads = at::get_num_threads();
  r.frame = frame_label(images[0]);
  for (std::uint64_t i = 0; i < o.warmup; ++i) p.process(images[i % images.size()]);

  // The pipeline's stages, then the contours the bridge makes of the label
  // map (a host step after the copy); e2e spans both.
  std::vector<std::vector<double>> stage(kStageCount + 1);
  std::vector<double> e2e;
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  for (std::uint64_t i = 0; i < o.frames; ++i) {
    const auto t0 = clock::now();
    const Image& image = images[(o.warmup + i) % images.size()];
    const PipelineOutput out = p.process(image);
    const auto t1 = clock::now();
    const PolyData contours = label_contours(out.result.labels.data(), image);
    const auto t2 = clock::now();
    e2e.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    for (std::size_t s = 0; s < kStageCount; ++s) stage[s].push_back(out.times.ms[s]);
    stage[kStageCount].push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    r.mean_tracks += double(out.result.tracks.size());
    for (const auto& t : out.result.tracks) r.mean_visible += t.state == std::uint8_t(TrackState::Visible);
  }
  r.seconds = std::chrono::duration<double>(clock::now() - start).count();
  r.frames = o.frames;
  const std::size_t memory_after = device_memory_in_use(device);
  r.gpu_memory_mib = double(memory_after - std::min(memory_before, memory_after)) / (1024.0 * 1024.0);
  if (o.count_copies > 0) {  // a pass of its own: the activity records cost time
    CopyCounter counter;
    counter.start();
    for (std::uint64_t i = 0; i < o.count_copies; ++i) p.process(images[(o.warmup + o.frames + i) % images.size()]);
    r.copies = counter.stop();
    r.copy_frames = o.count_copies;
  }
  if (o.kernel_profile > 0) {  // a pass of its own too: back to back, as the timed frames
    KernelProfiler profiler;
    profiler.start();
    const auto t0 = clock::now();
    for (std::uint64_t i = 0; i < o.kernel_profile; ++i)
      p.process(images[(o.warmup + o.frames + o.count_copies + i) % images.size()]);
    const double wall_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    const std::vector<KernelRecord> records = profiler.stop();
    r.kernels = summarize_kernels(records, o.kernel_profile, wall_ms);
    if (o.kernel_trace) r.kernel_trace = kernel_trace_csv(records);
  }
  if (o.replay_timing > 0) {  // a pass of its own as well: one more wait a frame, for the end event
    std::vector<double> launch, gpu, process;
    p.time_replays(true);
    const std::uint64_t first = o.warmup + o.frames + o.count_copies + o.kernel_profile;
    for (std::uint64_t i = 0; i < o.replay_timing; ++i) {
      const auto t0 = clock::now();
      const PipelineOutput out = p.process(images[(first + i) % images.size()]);
      const auto t1 = clock::now();
      if (!out.replay) continue;
      launch.push_back(out.replay->launch_ms);
      gpu.push_back(out.replay->gpu_ms);
      process.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    p.time_replays(false);
    r.replay_frames = launch.size();
    r.replay_launch = summarize("launch", launch);
    r.replay_gpu = summarize("gpu", gpu);
    r.replay_process = summarize("process", process);
  }
  const PipelineCounters counters = p.counters();
  r.graph_captures = counters.graph_captures;
  r.graph_replays = counters.graph_replays;
  r.graph_failure = counters.graph_failure;
  if (o.frames) {
    r.mean_tracks /= double(o.frames);
    r.mean_visible /= double(o.frames);
  }
  for (std::size_t s = 0; s < kStageCount; ++s) r.stages.push_back(summarize(stage_names()[s], stage[s]));
  r.stages.push_back(summarize("contours", stage[kStageCount]));
  r.stages.push_back(summarize("e2e", e2e));
  return r;
}

StreamsBenchResult run_streams_bench(const PipelineBenchOptions& o) {
  if (o.streams < 2) throw std::invalid_argument("--streams: at least 2 (one stream is the plain pipeline benchmark)");
  const std::vector<Image> images = bench_images(o.file);
  auto stream_options = [&](std::size_t i) {
    PipelineOptions p = o.pipeline;
    if (!o.stream_devices.empty()) p.device = o.stream_devices[i % o.stream_devices.size()];
    return p;
  };
  std::vector<torch::Device> devices;
  for (std::size_t i = 0; i < o.streams; ++i) {
    const torch::Device d = model_device(stream_options(i).device);
    if (std::find(devices.begin(), devices.end(), d) == devices.end()) devices.push_back(d);
  }
  auto memory_in_use = [&] {
    std::size_t sum = 0;
    for (const auto& d : devices) sum += device_memory_in_use(d);
    return sum;
  };
  const std::size_t memory_before = memory_in_use();
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  for (std::size_t i = 0; i < o.streams; ++i) pipelines.push_back(std::make_unique<Pipeline>(stream_options(i)));
  StreamsBenchResult r;
  for (std::size_t i = 0; i < o.streams; ++i)
    r.device += (i ? "," : "") + pipelines[i]->device().str();
  r.frame = frame_label(images[0]);
  r.frames = o.frames;

  // The baseline: the first pipeline alone, on this thread.
  for (std::uint64_t i = 0; i < o.warmup; ++i) pipelines[0]->process(images[i % images.size()]);
  auto t = Clock::now();
  r.alone = summarize("e2e", timed_frames(*pipelines[0], images, o.warmup, o.frames));
  r.alone_fps = double(o.frames) / std::chrono::duration<double>(Clock::now() - t).count();

  // All at once: each warms up on its own thread (LibTorch keeps CUDA state
  // per thread, as the bridge's workers do), then all are released together.
  std::mutex m;
  std::condition_variable cv;
  std::size_t ready = 0;
  bool go = false;
  Clock::time_point released;
  std::vector<std::vector<double>> e2e(o.streams);
  std::vector<double> seconds(o.streams, 0);
  std::vector<std::exception_ptr> errors(o.streams);
  std::vector<std::thread> threads;
  for (std::size_t s = 0; s < o.streams; ++s)
    threads.emplace_back([&, s] {
      try {
        for (std::uint64_t i = 0; i < o.warmup; ++i) pipelines[s]->process(images[(s + i) % images.size()]);
      } catch (...) {
        errors[s] = std::current_exception();
      }
      {
        std::unique_lock<std::mutex> lock(m);
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go; });
      }
      if (errors[s]) return;
      try {
        e2e[s] = timed_frames(*pipelines[s], images, o.warmup + s, o.frames);
        seconds[s] = std::chrono::duration<double>(Clock::now() - released).count();
      } catch (...) {
        errors[s] = std::current_exception();
      }
    });
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return ready == o.streams; });
    released = Clock::now();
    go = true;
    cv.notify_all();
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  for (std::size_t s = 0; s < o.streams; ++s) {
    r.each.push_back(summarize("e2e", e2e[s]));
    r.each_fps.push_back(seconds[s] > 0 ? double(o.frames) / seconds[s] : 0);
    r.seconds = std::max(r.seconds, seconds[s]);
  }
  const std::size_t memory_after = memory_in_use();
  r.gpu_memory_mib = double(memory_after - std::min(memory_before, memory_after)) / (1024.0 * 1024.0);
  return r;
}

std::string streams_bench_json(const PipelineBenchOptions& o, const StreamsBenchResult& r) {
  auto num = [](double v) { return json_number(v, 4); };
  std::string j = "{\"tool\": \"igtbridge-bench pipeline --streams\", \"recording\": " + json_string(o.file) +
                  ", \"frame\": " + json_string(r.frame) + ", \"device\": " + json_string(r.device) +
                  ", \"precision\": " + json_string(o.pipeline.precision_label()) + ", \"detector\": " +
                  json_string(o.pipeline.detector) + ", \"encoder\": " + json_string(o.pipeline.encoder) +
                  ", \"decoder\": " + json_string(o.pipeline.decoder) + ", \"streams\": " +
                  std::to_string(r.each.size()) + ", \"frames_per_stream\": " + std::to_string(r.frames) +
                  ", \"alone\": {\"e2e_ms\": " + summary_json(r.alone) + ", \"fps\": " + num(r.alone_fps) +
                  "}, \"together\": {\"seconds\": " + num(r.seconds) + ", \"total_fps\": " + num(r.total_fps()) +
                  ", \"gpu_memory_mib\": " + num(r.gpu_memory_mib) + ", \"each\": [";
  for (std::size_t s = 0; s < r.each.size(); ++s)
    j += std::string(s ? ", " : "") + "{\"e2e_ms\": " + summary_json(r.each[s]) + ", \"fps\": " + num(r.each_fps[s]) + "}";
  return j + "]}}\n";
}

std::string pipeline_bench_json(const PipelineBenchOptions& o, const PipelineBenchResult& r) {
  auto num = [](double v) { return json_number(v, 4); };
  std::string j = "{\"tool\": \"igtbridge-bench pipeline\", \"recording\": " + json_string(o.file) +
                  ", \"frame\": " + json_string(r.frame) + ", \"device\": " + json_string(r.device) +
                  ", \"precision\": " + json_string(o.pipeline.precision_label()) +
                  ", \"tf32\": " + std::string(o.pipeline.tf32 ? "true" : "false") +
                  ", \"cpu_threads\": " + std::to_string(r.cpu_threads) + ", \"kind\": \"" +
                  pipeline_kind_name(o.pipeline.kind) + "\", \"segmentation\": " + json_string(o.pipeline.semantic.model) +
                  ", \"detector\": " +
                  json_string(o.pipeline.detector) + ", \"encoder\": " + json_string(o.pipeline.encoder) +
                  ", \"decoder\": " + json_string(o.pipeline.decoder) + ", \"top_k\": " +
                  std::to_string(o.pipeline.detect.top_k) + ", \"frames\": " + std::to_string(r.frames) +
                  ", \"warmup_frames\": " + std::to_string(o.warmup) + ", \"fps\": " + num(r.fps()) +
                  ", \"live_tracks\": " + num(r.mean_tracks) + ", \"visible\": " + num(r.mean_visible) +
                  ", \"cuda_graph\": " + std::string(o.pipeline.cuda_graph && r.device != "cpu" ? "true" : "false") +
                  ", \"stream_priority\": \"" +
                  (r.device == "cpu" ? "none" : o.pipeline.high_priority ? "high" : "normal") + "\"" +
                  ", \"overlap_encoder\": " +
                  std::string(o.pipeline.overlap_encoder && !o.pipeline.sync_timing && r.device != "cpu" ? "true" : "false") +
                  ", \"release_cached_memory\": " +
                  std::string(o.pipeline.release_cached_memory && r.device != "cpu" ? "true" : "false") +
                  ", \"gpu_memory_mib\": " + num(r.gpu_memory_mib) +
                  ", \"graph_captures\": " + std::to_string(r.graph_captures) + ", \"graph_replays\": " +
                  std::to_string(r.graph_replays) + ", \"graph_failure\": " + json_string(r.graph_failure) +
                  ", \"stages_ms\": {";
  for (std::size_t i = 0; i < r.stages.size(); ++i) {
    const auto& s = r.stages[i];
    j += (i ? ", " : "") + json_string(s.name) + ": " + summary_json(s);
  }
  j += "}";
  if (r.copy_frames > 0) {
    const double n = double(r.copy_frames);
    j += ", \"copies\": {\"frames\": " + std::to_string(r.copy_frames) + ", \"h2d_per_frame\": " +
         num(double(r.copies.h2d) / n) + ", \"d2h_per_frame\": " + num(double(r.copies.d2h) / n) +
         ", \"d2d_per_frame\": " + num(double(r.copies.d2d) / n) + ", \"h2d_bytes_per_frame\": " +
         num(double(r.copies.h2d_bytes) / n) + ", \"d2h_bytes_per_frame\": " + num(double(r.copies.d2h_bytes) / n) + "}";
  }
  if (o.replay_timing > 0) {
    j += ", \"replay_timing\": {\"frames\": " + std::to_string(r.replay_frames) + ", \"launch_ms\": " +
         summary_json(r.replay_launch) + ", \"gpu_ms\": " + summary_json(r.replay_gpu) + ", \"process_ms\": " +
         summary_json(r.replay_process) + "}";
  }
  if (r.kernels.frames > 0) {
    const KernelProfile& k = r.kernels;
    j += ", \"kernels\": {\"frames\": " + std::to_string(k.frames) + ", \"wall_ms_per_frame\": " +
         num(k.wall_ms_per_frame) + ", \"kernels_per_frame\": " + num(k.kernels_per_frame) +
         ", \"kernel_ms_per_frame\": " + num(k.kernel_ms_per_frame) + ", \"busy_ms_per_frame\": " +
         num(k.busy_ms_per_frame) + ", \"top\": [";
    for (std::size_t i = 0; i < k.kernels.size() && i < 40; ++i)
      j += std::string(i ? ", " : "") + "{\"name\": " + json_string(k.kernels[i].name) + ", \"calls_per_frame\": " +
           num(k.kernels[i].calls_per_frame) + ", \"ms_per_frame\": " + num(k.kernels[i].ms_per_frame) + "}";
    j += "]}";
  }
  return j + "}\n";
}

}  // namespace igtb
