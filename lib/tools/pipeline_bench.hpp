// igtbridge-bench pipeline: the inference pipeline alone (no sockets) on
// the frames of a PLUS recording, per-stage and end-to-end p50/p99 and the
// frame rate it can sustain, with the configured models and device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "tools/copy_counter.hpp"
#include "tools/kernel_profiler.hpp"

namespace igtb {

struct PipelineBenchOptions {
  std::string file;
  std::uint64_t frames = 300;  ///< timed frames (the recording is looped)
  std::uint64_t warmup = 20;
  PipelineOptions pipeline;
  std::uint64_t count_copies = 0;  ///< frames after the timed ones over which copies are counted (CUPTI); 0 = none
  std::uint64_t kernel_profile = 0;  ///< frames after those over which the GPU kernels are recorded (CUPTI); 0 = none
  std::size_t kernel_top = 25;       ///< kernels listed by name in the report
  bool kernel_trace = false;         ///< with kernel_profile: keep every record (PipelineBenchResult::kernel_trace)
  /// Frames after those whose graph replays are timed without a profiler
  /// (Pipeline::time_replays; CUDA, graphs on); 0 = none.
  std::uint64_t replay_timing = 0;
  std::size_t streams = 1;  ///< run_streams_bench: pipelines at once, one thread each (the bridge's lanes)
  /// run_streams_bench: stream i's device is stream_devices[i % size] (models.stream_devices); empty: pipeline.device.
  std::vector<std::string> stream_devices;
};

struct StageSummary {
  std::string name;
  double p50 = 0, p95 = 0, p99 = 0, mean = 0;
};
/// p50, p95, p99 and mean of `ms` (all 0 when empty).
StageSummary summarize(const std::string& name, const std::vector<double>& ms);

struct PipelineBenchResult {
  std::string frame;              ///< "820x616x1 uint8"
  std::string device;             ///< "cpu", "cuda:0"
  int cpu_threads = 1;            ///< LibTorch's CPU threads (pipeline.cpu_threads)
  std::vector<StageSummary> stages;  ///< one per stage, then "e2e"
  double seconds = 0;             ///< wall time of the timed frames
  std::uint64_t frames = 0;
  double mean_tracks = 0;         ///< live tracks per frame
  double mean_visible = 0;        ///< VISIBLE tracks per frame
  std::uint64_t graph_captures = 0, graph_replays = 0;  ///< CUDA graphs, warm-up included
  std::string graph_failure;      ///< why capture failed, "" when it did not
  /// CUDA: device memory the pipeline took (in use after the timed frames less
  /// in use before it was built, its CUDA context included in neither); 0 on the CPU.
  double gpu_memory_mib = 0;
  std::uint64_t copy_frames = 0;  ///< frames the copies were counted over (0: not counted)
  CopyCounts copies;
  KernelProfile kernels;  ///< frames == 0: not profiled
  std::string kernel_trace;  ///< options.kernel_trace: the profiled frames' records, kernel_trace_csv
  /// options.replay_timing: the frames that replayed a graph (0: none did or
  /// not asked), their launch calls (host), graphs on the GPU (events) and
  /// Pipeline::process calls (host).
  std::uint64_t replay_frames = 0;
  StageSummary replay_launch, replay_gpu, replay_process;
  double fps() const { return seconds > 0 ? double(frames) / seconds : 0; }
};

PipelineBenchResult run_pipeline_bench(const PipelineBenchOptions& options);

/// Several image streams in one process, as the bridge runs them (one lane
/// per IMAGE device): options.streams pipelines, each with its own thread
/// (and on CUDA its own streams, ring and buffers), on the same device. The
/// first pipeline runs the timed frames alone first (the baseline, same run),
/// then all run them at once, released together after their warm-up.
struct StreamsBenchResult {
  std::string frame;
  std::string device;               ///< each stream's device, comma-separated ("cuda:0,cuda:0")
  std::uint64_t frames = 0;         ///< timed frames per stream
  StageSummary alone;               ///< e2e of one pipeline by itself
  double alone_fps = 0;
  std::vector<StageSummary> each;   ///< e2e per stream, all at once
  std::vector<double> each_fps;     ///< frames/s per stream, all at once
  double seconds = 0;               ///< from the release to the last stream's last frame
  double gpu_memory_mib = 0;        ///< CUDA: all the pipelines together (as in PipelineBenchResult)
  /// Frames of all streams per second of the concurrent run.
  double total_fps() const { return seconds > 0 ? double(frames * each.size()) / seconds : 0; }
};
StreamsBenchResult run_streams_bench(const PipelineBenchOptions& options);
std::string streams_bench_json(const PipelineBenchOptions& options, const StreamsBenchResult& result);

/// The options and results as one JSON object (what `igtbridge-bench
/// pipeline --json FILE` writes; scripts/compare_bench.py reads it beside
/// the Python reference's JSON).
std::string pipeline_bench_json(const PipelineBenchOptions& options, const PipelineBenchResult& result);

}  // namespace igtb
