// igtbridge-bench: measured figures, printed with their baseline or goal.
// Wiring only: igtbridge-bench transport|pipeline|contours|gpu [options]
// (the old --transport, --pipeline, --contours and --gpu flags still work);
// the benchmarks and their tables are lib/tools.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "bridge/options.hpp"
#include "common.hpp"
#include "config/config.hpp"
#include "tools/bench_report.hpp"
#include "tools/gpu_bench.hpp"

#ifndef IGTB_DEFAULT_BENCH_FILE
#define IGTB_DEFAULT_BENCH_FILE ""
#endif

namespace {

const char* const kModes[] = {"transport", "pipeline", "contours", "gpu"};

/// The old mode flags as the subcommands they became: "--gpu" anywhere
/// turns into "gpu" right after the program name. Two of them is an error.
std::vector<std::string> mode_flags_as_subcommands(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::string mode;
  for (auto it = args.begin() + 1; it != args.end();) {
    const auto m = std::find_if(std::begin(kModes), std::end(kModes), [&](const char* k) { return *it == std::string("--") + k; });
    if (m == std::end(kModes)) {
      ++it;
      continue;
    }
    if (!mode.empty()) throw CLI::ValidationError("pass exactly one of transport, pipeline, contours or gpu");
    mode = *m;
    it = args.erase(it);
  }
  if (!mode.empty()) args.insert(args.begin() + 1, mode);
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  igtb::TransportBenchOptions t;
  igtb::PipelineBenchOptions p;
  igtb::ContourBenchOptions c;
  igtb::GpuBenchOptions g;
  t.file = igtb::app::installed_data_file(IGTB_DEFAULT_BENCH_FILE);
  std::string reference, reference_runs = "eager:fp32,compile:fp16", config_path, json_path, trace_path,
      log_level = "warn";
  std::vector<std::string> overrides;
  bool sync = false;
  double min_ratio = 0, min_fps = 0;
  std::uint64_t frames = 0, warmup = 0;
  CLI::App cli{"igtbridge-bench: measured figures, each beside its baseline or goal from the same run",
               "igtbridge-bench"};
  cli.set_version_flag("--version", igtb::app::version_line("igtbridge-bench"));
  cli.require_subcommand(1, 1);
  cli.fallthrough();  // the options below are the bench's, given before or after the subcommand
  cli.add_option("--file", t.file, "PLUS sequence to use")->capture_default_str();
  cli.add_option("--frames", frames, "timed frames per measurement (transport 2000, pipeline 300, contours 50)");
  cli.add_option("--warmup", warmup, "frames not timed (transport 100, pipeline 20, contours 3)");
  igtb::app::add_log_level(cli, log_level);
  auto* transport = cli.add_subcommand("transport", "IMAGE frames through replay -> relay -> listen vs a raw socket copy");
  transport->add_option("--repeat", t.repeat, "alternating runs of each path (medians reported)")->capture_default_str();
  transport->add_option("--min-ratio", min_ratio, "exit 1 if bridge/raw frames per second is below this");
  auto* pipeline = cli.add_subcommand("pipeline", "the inference pipeline alone: per-stage and e2e p50/p95/p99, frames/s");
  auto* contours = cli.add_subcommand("contours", "the host's contour extraction on smooth to noise-like label maps");
  auto* gpu = cli.add_subcommand("gpu", "the side-by-side on the GPU: the pipeline back to back and live with sockets, "
                                        "then the Python reference (--reference) on the same recording, with the speed-ups");
  for (auto* sub : {pipeline, gpu}) {
    sub->add_option("--config", config_path, "models, device and thresholds from this YAML");
    sub->add_option("--set", overrides, "override a config key (repeatable), e.g. --set models.device=cuda");
    sub->add_flag("--sync-stages", sync, "synchronise the device after each stage (exact stage times on CUDA)");
    sub->add_option("--count-copies", p.count_copies,
                    "count host<->device copies (CUPTI) over this many further frames (CUDA builds)");
    sub->add_option("--json", json_path, "also write the results as JSON to this file");
  }
  pipeline->add_option("--streams", p.streams, "this many pipelines at once, one thread each, against one alone")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  pipeline->add_option("--kernel-profile", p.kernel_profile,
                       "record the GPU kernels (CUPTI) over this many further frames: where the frame's time goes "
                       "(CUDA builds)");
  pipeline->add_option("--kernel-trace", trace_path,
                       "with --kernel-profile: every kernel of those frames to this CSV file (start, end, stream, "
                       "name), for scripts/kernel_timeline.py");
  pipeline->add_option("--replay-timing", p.replay_timing,
                       "time the CUDA graph's replays over this many further frames without a profiler: the launch "
                       "call on the host, the graph on the GPU (CUDA events), the frame (CUDA builds)");
  pipeline->add_option("--kernel-top", p.kernel_top, "kernels listed by name with --kernel-profile")->capture_default_str();
  pipeline->add_option("--min-fps", min_fps, "exit 1 if the sustained frames per second is below this");
  gpu->add_option("--reference", reference,
                  "the reference's command, split at spaces, e.g. 'python3 scripts/reference_pipeline.py "
                  "--dfine-repo D --mobilesam-repo M' (the bench adds --recording, --frames, --mode, --precision, --json)");
  gpu->add_option("--reference-runs", reference_runs, "MODE:PRECISION list")->capture_default_str();
  gpu->add_option("--reference-timeout", g.reference_timeout_s, "seconds each reference run may take")->capture_default_str();
  gpu->add_option("--work-dir", g.work_dir, "folder for the references' JSON and logs (default: a new one in /tmp)");
  gpu->add_option("--live-fps", g.live_fps, "the live run's pace, frames/s")->capture_default_str();
  gpu->add_option("--live-frames", g.live_frames, "frames sent in the live run (0: none)")->capture_default_str();
  gpu->add_option("--live-kpi", g.live_kpi_path,
                  "write the live run's per-frame KPI lines (stage times) to this file, for scripts/plot_kpi.py");
  gpu->add_flag("--live-monitoring", g.live_monitoring,
                "the live run with the monitoring endpoint on, loaded as a dashboard and Prometheus would load it "
                "(events, every picture, /metrics each second)");
  igtb::app::set_exit_codes(cli, "1 a figure below its --min-ratio or --min-fps, or a failed run");
  std::vector<std::string> args;
  try {
    args = mode_flags_as_subcommands(argc, argv);
  } catch (const CLI::Error& e) {
    return std::fprintf(stderr, "igtbridge-bench: %s\n", e.what()), 2;
  }
  std::vector<char*> arg_ptrs;
  for (auto& a : args) arg_ptrs.push_back(a.data());
  if (const auto rc = igtb::app::parse(cli, int(arg_ptrs.size()), arg_ptrs.data())) return *rc;
  igtb::app::setup_logging(log_level, "bench");
  igtb::app::keep_large_allocations();
  try {
    if (*transport) {
      if (frames) t.frames = frames;
      if (warmup) t.warmup = warmup;
      const auto r = igtb::run_transport_bench(t);
      std::printf("%s", igtb::transport_bench_table(t, r).c_str());
      return r.ratio() < min_ratio ? 1 : 0;
    }
    if (*contours) {
      c.file = t.file;
      if (frames) c.frames = frames;
      if (warmup) c.warmup = warmup;
      return std::printf("%s", igtb::contour_bench_table(c, igtb::run_contour_bench(c)).c_str()), 0;
    }
    if (p.streams > 1 && (p.count_copies || p.kernel_profile || p.replay_timing || min_fps > 0))
      throw std::invalid_argument("--streams goes without --count-copies, --kernel-profile, --replay-timing and --min-fps");
    // gpu: the models on CUDA unless a --set says otherwise (a later --set wins).
    if (*gpu) overrides.insert(overrides.begin(), "models.device=cuda");
    const auto cfg = config_path.empty() ? igtb::config::default_config(overrides)
                                         : igtb::config::load_config(config_path, overrides);
    p.file = t.file;
    p.pipeline = igtb::pipeline_options(cfg);
    p.pipeline.sync_timing = sync;
    p.stream_devices = cfg.models.stream_devices;
    if (frames) p.frames = frames;
    if (warmup) p.warmup = warmup;
    igtb::ResultFile json(json_path);
    if (!trace_path.empty() && p.kernel_profile == 0) throw std::invalid_argument("--kernel-trace needs --kernel-profile");
    p.kernel_trace = !trace_path.empty();
    igtb::ResultFile trace(trace_path);
    if (*pipeline && p.streams > 1) {
      const auto r = igtb::run_streams_bench(p);
      json.write(igtb::streams_bench_json(p, r));
      return std::printf("%s", igtb::streams_bench_table(p, r).c_str()), 0;
    }
    if (*pipeline) {
      const auto r = igtb::run_pipeline_bench(p);
      json.write(igtb::pipeline_bench_json(p, r));
      trace.write(r.kernel_trace);
      std::printf("%s", igtb::pipeline_bench_table(p, r, min_fps).c_str());
      return r.fps() < min_fps ? 1 : 0;
    }
    g.pipeline = p;
    g.live = igtb::inference_options(cfg);
    g.web = igtb::web_options(cfg, g.pipeline.pipeline.device, "igtbridge-bench");
    std::istringstream words(reference);
    for (std::string w; words >> w;) g.reference.push_back(w);
    g.references = igtb::parse_reference_runs(reference_runs);
    igtb::kill_children_on_signals();  // the reference runs in its own process group
    const auto r = igtb::run_gpu_bench(g, [](const std::string& line) {
      std::fprintf(stderr, "igtbridge-bench gpu: %s\n", line.c_str());
    });
    std::printf("%s", igtb::gpu_bench_table(g, r).c_str());
    if (g.reference.empty()) std::printf("  no reference run (--reference not given)\n");
    json.write(igtb::gpu_bench_json(g, r));
    return r.references_ok() ? 0 : 1;
  } catch (const std::exception& e) {
    return igtb::app::fail(2, e.what());
  }
}
