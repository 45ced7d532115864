// igtbridge-bench gpu: the side-by-side the GPU issue stands on, in one run
// on one recording: the C++ pipeline back to back (per-stage and e2e
// p50/p95/p99, frames/s, copies per frame, GPU memory), the same pipeline live
// with its sockets (replay -> InferenceBridge -> listener on loopback, e2e from
// the IMAGE fully received to the label map written), and the Python
// reference (scripts/reference_pipeline.py, eager and torch.compile) run as a
// child process on the same recording and frame count, with the speed-up of
// the C++ pipeline over each.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/inference_bridge.hpp"
#include "bridge/web_monitor.hpp"
#include "tools/pipeline_bench.hpp"

namespace igtb {

/// One reference variant: reference_pipeline.py --mode MODE --precision PRECISION.
struct ReferenceRun {
  std::string mode;       ///< "eager", "compile"
  std::string precision;  ///< "fp32", "fp16", "bf16"
};

/// "eager:fp32,compile:fp16" -> runs; throws std::invalid_argument naming a bad item.
std::vector<ReferenceRun> parse_reference_runs(const std::string& list);

struct GpuBenchOptions {
  PipelineBenchOptions pipeline;  ///< recording, frames, models (back to back, no sockets)
  /// The daemon's options for the live run; the bench sets its ports (ephemeral,
  /// loopback), turns recording off, and the KPI file off unless live_kpi_path.
  InferenceOptions live;
  /// Where the live run writes the bridge's KPI lines (one JSON line per frame
  /// with its stage times, as kpi.path), to place the tail
  /// (scripts/plot_kpi.py's stage table); empty: none.
  std::string live_kpi_path;
  double live_fps = 100;            ///< the replay's pace
  /// The live run with the monitoring endpoint on and a browser's load on it:
  /// an /events stream read, each overlay picture fetched, /metrics scraped
  /// once a second (the bridge's http.* options; port ephemeral).
  bool live_monitoring = false;
  WebOptions web;
  std::uint64_t live_frames = 1000; ///< frames sent; 0 = no live run
  /// The reference's command (program and its first arguments, e.g. python3
  /// scripts/reference_pipeline.py --dfine-repo ... --mobilesam-repo ...); the bench
  /// adds --recording, --frames, --mode, --precision and --json. Empty: no reference.
  std::vector<std::string> reference;
  std::vector<ReferenceRun> references{{"eager", "fp32"}, {"compile", "fp16"}};
  std::string work_dir;  ///< the references' JSON files and logs: an existing folder, or "" for a new one in /tmp
  double reference_timeout_s = 900;     ///< each reference run is ended (SIGKILL) past this
};

struct LiveBenchResult {
  bool ran = false;
  double fps = 0;  ///< the replay's pace
  std::uint64_t sent = 0, received = 0, processed = 0, dropped = 0, failed = 0;
  std::uint64_t page_locked = 0, not_page_locked = 0;
  std::uint64_t masks_received = 0;  ///< label maps the listener got
  double first_ms = 0;               ///< the first frame's e2e (warm-up left in the pipeline)
  StageSummary e2e;                  ///< from the 11th processed frame on
  double max_ms = 0;                 ///< the largest of those
  /// With live_monitoring: what the simulated browser and scraper got.
  std::uint64_t ticks = 0, pictures = 0, scrapes = 0;
  /// The bridge's own per-stage means over every processed frame (decode,
  /// the pipeline's stages, contours, encode; host clock, no device sync) and
  /// its e2e mean (IMAGE received to label map queued: contours come after
  /// it): what it has beyond decode and the pipeline is the hand-offs (the
  /// queue to the worker, its wake-up), the label map's encode and send.
  std::vector<std::pair<std::string, double>> stage_means_ms;
  double bridge_e2e_mean_ms = 0;
};

struct ReferenceResult {
  ReferenceRun run;
  std::string name;        ///< "Python compile fp16"
  std::string json_path, log_path;
  std::string error;       ///< why it gave no figures; "" when it did
  double p50 = 0, p95 = 0, p99 = 0, fps = 0;
  double h2d = -1, d2h = -1, gpu_memory_mib = -1;  ///< -1: not in the file
  std::string json;        ///< the file's text, as the reference wrote it
};

struct GpuBenchResult {
  PipelineBenchResult pipeline;
  LiveBenchResult live;
  std::vector<ReferenceResult> references;
  bool references_ok() const;
};

/// Runs the pipeline back to back, then live, then each reference; `progress`
/// gets a line before each part. Throws on a C++ failure; a reference that
/// fails is reported in its ReferenceResult::error and the rest goes on.
GpuBenchResult run_gpu_bench(const GpuBenchOptions& options,
                             const std::function<void(const std::string&)>& progress = {});

/// The figures of a reference_pipeline.py --json file; throws std::runtime_error naming the file.
ReferenceResult read_reference_json(const std::string& path);

/// The printed side-by-side (several lines, each ending in '\n').
std::string gpu_bench_table(const GpuBenchOptions& options, const GpuBenchResult& result);
/// Everything as one JSON object (the pipeline's as igtbridge-bench pipeline --json writes it).
std::string gpu_bench_json(const GpuBenchOptions& options, const GpuBenchResult& result);

/// Runs argv (argv[0] looked up in PATH) with stdout and stderr into log_path;
/// returns its exit status, 128 + signal when killed, and kills it past
/// timeout_s (then returns 137). Throws std::runtime_error when it cannot start.
int run_child(const std::vector<std::string>& argv, const std::string& log_path, double timeout_s);

/// SIGINT, SIGTERM and SIGHUP kill the process group of the child run_child
/// is waiting for (it has a group of its own, which a terminal's or a
/// timeout's signal to ours would miss) and end the process (exit 128 + signal).
void kill_children_on_signals();

}  // namespace igtb
