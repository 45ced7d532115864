// igtbridge-bench: measured figures, printed with their baseline or goal.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "bridge/options.hpp"
#include "common.hpp"
#include "config/config.hpp"
#include "tools/contour_bench.hpp"
#include "tools/gpu_bench.hpp"
#include "tools/pipeline_bench.hpp"
#include "tools/transport_bench.hpp"

#ifndef IGTB_DEFAULT_BENCH_FILE
#define IGTB_DEFAULT_BENCH_FILE ""
#endif

namespace {

/// --json FILE: written as FILE.partial, opened before the run (a bad path
/// fails first) and renamed to FILE once the results are in, so a failed or
/// killed run leaves no empty or half-written FILE behind.
class JsonOut {
 public:
  explicit JsonOut(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    out_.open(path_ + ".partial");
    if (!out_) throw std::runtime_error("--json: cannot write '" + path_ + ".partial'");
  }
  ~JsonOut() {
    if (out_.is_open()) {
      out_.close();
      std::remove((path_ + ".partial").c_str());
    }
  }
  void write(const std::string& text) {
    if (path_.empty()) return;
    out_ << text;
    out_.close();
    if (!out_ || std::rename((path_ + ".partial").c_str(), path_.c_str()) != 0)
      throw std::runtime_error("--json: cannot write '" + path_ + "'");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

int transport_bench(const igtb::TransportBenchOptions& o, double min_ratio) {
  const auto r = igtb::run_transport_bench(o);
  std::printf("transport benchmark: %s per frame, %llu frames (%llu warm-up) per run, %d runs each, loopback 127.0.0.1\n",
              r.frame.c_str(), static_cast<unsigned long long>(o.frames), static_cast<unsigned long long>(o.warmup),
              int(r.bridge_runs.size()));
  for (std::size_t i = 0; i < r.bridge_runs.size(); ++i)
    std::printf("  run %zu: bridge %7.1f frames/s, raw %7.1f frames/s\n", i + 1, r.bridge_runs[i].fps(),
                r.raw_runs[i].fps());
  std::printf("  %-46s %8.1f frames/s %8.1f MB/s  (%llu dropped by the relay)\n",
              "median replay -> igtbridge relay -> listen:", r.bridge().fps(), r.bridge().mb_per_s(),
              static_cast<unsigned long long>(r.dropped));
  std::printf("  %-46s %8.1f frames/s %8.1f MB/s\n", "median raw copy (sender -> pump -> receiver):", r.raw().fps(),
              r.raw().mb_per_s());
  std::printf("  ratio bridge/raw: %.2f\n", r.ratio());
  return r.ratio() < min_ratio ? 1 : 0;
}

int pipeline_bench(const igtb::PipelineBenchOptions& o, double min_fps, const std::string& json_path) {
  JsonOut json(json_path);
  const auto r = igtb::run_pipeline_bench(o);
  json.write(igtb::pipeline_bench_json(o, r));
  const std::string device =
      r.device == "cpu" ? "cpu (" + std::to_string(r.cpu_threads) + " LibTorch thread" + (r.cpu_threads == 1 ? ")" : "s)")
                        : r.device;
  std::printf("pipeline benchmark: %s frames of %s, %llu timed (%llu warm-up), device %s, %s, detector %s, segmenter %s + %s\n",
              r.frame.c_str(), o.file.c_str(), static_cast<unsigned long long>(r.frames),
              static_cast<unsigned long long>(o.warmup), device.c_str(), o.pipeline.precision_label().c_str(),
              o.pipeline.detector.c_str(), o.pipeline.encoder.c_str(), o.pipeline.decoder.c_str());
  std::printf("  %-12s %9s %9s %9s %9s\n", "stage", "p50 ms", "p95 ms", "p99 ms", "mean ms");
  for (const auto& s : r.stages)
    std::printf("  %-12s %9.2f %9.2f %9.2f %9.2f\n", s.name.c_str(), s.p50, s.p95, s.p99, s.mean);
  std::printf("  sustained: %.1f frames/s (one pipeline, back to back); %.2f live tracks, %.2f visible per frame\n",
              r.fps(), r.mean_tracks, r.mean_visible);
  if (r.device != "cpu") {
    std::printf("  GPU memory: %.0f MiB (in use after the timed frames less before the pipeline was built)\n",
                r.gpu_memory_mib);
    std::printf("  cuda graphs: %s; %llu captured, %llu replays%s%s; encoder beside the detector: %s\n",
                o.pipeline.cuda_graph ? "on" : "off",
                static_cast<unsigned long long>(r.graph_captures), static_cast<unsigned long long>(r.graph_replays),
                r.graph_failure.empty() ? "" : "; capture failed: ",
                r.graph_failure.c_str(), o.pipeline.overlap_encoder && !o.pipeline.sync_timing ? "yes" : "no");
  }
  if (r.copy_frames > 0) {
    const double n = double(r.copy_frames);
    std::printf("  copies per frame (CUPTI, %llu further frames): H2D %.2f (%.0f bytes), D2H %.2f (%.0f bytes), "
                "D2D %.2f, other %.2f\n",
                static_cast<unsigned long long>(r.copy_frames), double(r.copies.h2d) / n, double(r.copies.h2d_bytes) / n,
                double(r.copies.d2h) / n, double(r.copies.d2h_bytes) / n, double(r.copies.d2d) / n,
                double(r.copies.other) / n);
  }
  if (min_fps > 0) std::printf("  goal >= %.1f frames/s: %s\n", min_fps, r.fps() >= min_fps ? "met" : "NOT met");
  return r.fps() < min_fps ? 1 : 0;
}

int streams_bench(const igtb::PipelineBenchOptions& o, const std::string& json_path) {
  JsonOut json(json_path);
  const auto r = igtb::run_streams_bench(o);
  json.write(igtb::streams_bench_json(o, r));
  std::printf("streams benchmark: %zu pipelines at once on %s (one thread each, as the bridge's lanes), %s frames of "
              "%s, %llu timed each (%llu warm-up), %s\n",
              r.each.size(), r.device.c_str(), r.frame.c_str(), o.file.c_str(),
              static_cast<unsigned long long>(r.frames), static_cast<unsigned long long>(o.warmup),
              o.pipeline.precision_label().c_str());
  std::printf("  %-22s %9s %9s %9s %10s\n", "e2e", "p50 ms", "p95 ms", "p99 ms", "frames/s");
  std::printf("  %-22s %9.2f %9.2f %9.2f %10.1f\n", "one alone (baseline)", r.alone.p50, r.alone.p95, r.alone.p99,
              r.alone_fps);
  for (std::size_t s = 0; s < r.each.size(); ++s)
    std::printf("  %-22s %9.2f %9.2f %9.2f %10.1f\n",
                ("stream " + std::to_string(s + 1) + " of " + std::to_string(r.each.size())).c_str(), r.each[s].p50,
                r.each[s].p95, r.each[s].p99, r.each_fps[s]);
  std::printf("  together: %.1f frames/s over all streams (%.2fx one alone)%s\n", r.total_fps(),
              r.alone_fps > 0 ? r.total_fps() / r.alone_fps : 0.0,
              r.device.find("cuda") != std::string::npos ? (", GPU memory " + std::to_string(int(r.gpu_memory_mib + 0.5)) + " MiB").c_str() : "");
  return 0;
}

int gpu_bench(const igtb::GpuBenchOptions& o, const std::string& json_path) {
  JsonOut json(json_path);
  igtb::kill_children_on_signals();  // the reference runs in its own process group
  const auto r = igtb::run_gpu_bench(o, [](const std::string& line) {
    std::fprintf(stderr, "igtbridge-bench --gpu: %s\n", line.c_str());
  });
  std::printf("%s", igtb::gpu_bench_table(o, r).c_str());
  if (o.reference.empty()) std::printf("  no reference run (--reference not given)\n");
  json.write(igtb::gpu_bench_json(o, r));
  return r.references_ok() ? 0 : 1;
}

int contour_bench(const igtb::ContourBenchOptions& o) {
  const auto cases = igtb::run_contour_bench(o);
  std::printf("contours (label_contours on the host), %s, %llu runs each:\n", o.file.c_str(),
              static_cast<unsigned long long>(o.frames));
  std::printf("  %-15s %9s %9s %10s %8s %9s\n", "label map", "p50 ms", "p99 ms", "labelled", "loops", "points");
  for (const auto& c : cases)
    std::printf("  %-15s %9.2f %9.2f %10zu %8zu %9zu   %s\n", c.name.c_str(), c.ms.p50, c.ms.p99, c.labelled, c.loops,
                c.points, c.description.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  igtb::TransportBenchOptions t;
  igtb::PipelineBenchOptions p;
  t.file = p.file = igtb::app::installed_data_file(IGTB_DEFAULT_BENCH_FILE);
  igtb::ContourBenchOptions c;
  igtb::GpuBenchOptions g;
  std::string reference, reference_runs = "eager:fp32,compile:fp16";
  bool transport = false, pipeline = false, contours = false, gpu = false, sync = false;
  double min_ratio = 0, min_fps = 0;
  std::string config_path, json_path;
  std::vector<std::string> overrides;
  std::uint64_t frames = 0, warmup = 0;
  std::string log_level = "warn";
  CLI::App cli{"igtbridge-bench: measured figures, each beside its baseline or goal from the same run",
               "igtbridge-bench"};
  cli.set_version_flag("--version", igtb::app::version_line("igtbridge-bench"));
  cli.add_flag("--transport", transport, "IMAGE frames through replay -> relay -> listen vs a raw socket copy");
  cli.add_flag("--pipeline", pipeline, "the inference pipeline alone: per-stage and e2e p50/p95/p99, frames/s");
  cli.add_flag("--contours", contours, "the host's contour extraction on smooth to noise-like label maps");
  cli.add_flag("--gpu", gpu,
               "the side-by-side on the GPU: the pipeline back to back and live with sockets, then the Python "
               "reference (--reference) on the same recording, with the speed-ups");
  cli.add_option("--file", t.file, "PLUS sequence to use")->capture_default_str();
  cli.add_option("--frames", frames, "timed frames per measurement (transport 2000, pipeline 300, contours 50)");
  cli.add_option("--warmup", warmup, "frames not timed (transport 100, pipeline 20, contours 3)");
  cli.add_option("--repeat", t.repeat, "transport: alternating runs of each path (medians reported)")->capture_default_str();
  cli.add_option("--min-ratio", min_ratio, "transport: exit 1 if bridge/raw frames per second is below this");
  cli.add_option("--config", config_path, "pipeline: models, device and thresholds from this YAML");
  cli.add_option("--set", overrides, "pipeline: override a config key (repeatable), e.g. --set models.device=cuda");
  cli.add_flag("--sync-stages", sync, "pipeline: synchronise the device after each stage (exact stage times on CUDA)");
  cli.add_option("--streams", p.streams,
                 "pipeline: this many pipelines at once, one thread each (several image streams), against one alone")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cli.add_option("--count-copies", p.count_copies,
                 "pipeline: count host<->device copies (CUPTI) over this many further frames (CUDA builds)");
  cli.add_option("--json", json_path, "pipeline, gpu: also write the results as JSON to this file");
  cli.add_option("--min-fps", min_fps, "pipeline: exit 1 if the sustained frames per second is below this");
  cli.add_option("--reference", reference,
                 "gpu: the reference's command, split at spaces, e.g. 'python3 scripts/reference_pipeline.py "
                 "--dfine-repo D --mobilesam-repo M' (the bench adds --recording, --frames, --mode, --precision, --json)");
  cli.add_option("--reference-runs", reference_runs, "gpu: MODE:PRECISION list")->capture_default_str();
  cli.add_option("--reference-timeout", g.reference_timeout_s, "gpu: seconds each reference run may take")
      ->capture_default_str();
  cli.add_option("--work-dir", g.work_dir, "gpu: folder for the references' JSON and logs (default: a new one in /tmp)");
  cli.add_option("--live-fps", g.live_fps, "gpu: the live run's pace, frames/s")->capture_default_str();
  cli.add_option("--live-frames", g.live_frames, "gpu: frames sent in the live run (0: none)")->capture_default_str();
  igtb::app::add_log_level(cli, log_level);
  igtb::app::set_exit_codes(cli, "1 a figure below its --min-ratio or --min-fps, or a failed run");
  if (const auto rc = igtb::app::parse(cli, argc, argv)) return *rc;
  igtb::app::setup_logging(log_level, "bench");
  igtb::app::keep_large_allocations();
  if (int(transport) + int(pipeline) + int(contours) + int(gpu) != 1) {
    std::fprintf(stderr, "pass exactly one of --transport, --pipeline, --contours or --gpu\n");
    return 2;
  }
  try {
    if (p.streams > 1 && (!pipeline || p.count_copies || min_fps > 0))
      throw std::invalid_argument("--streams goes with --pipeline, without --count-copies and --min-fps");
    if (transport) {
      if (frames) t.frames = frames;
      if (warmup) t.warmup = warmup;
      return transport_bench(t, min_ratio);
    }
    if (contours) {
      c.file = t.file;
      if (frames) c.frames = frames;
      if (warmup) c.warmup = warmup;
      return contour_bench(c);
    }
    // --gpu: the models on CUDA unless a --set says otherwise (a later --set wins).
    if (gpu) overrides.insert(overrides.begin(), "models.device=cuda");
    const auto cfg = config_path.empty() ? igtb::config::default_config(overrides)
                                         : igtb::config::load_config(config_path, overrides);
    p.file = t.file;
    p.pipeline = igtb::pipeline_options(cfg);
    p.pipeline.sync_timing = sync;
    p.stream_devices = cfg.models.stream_devices;
    if (frames) p.frames = frames;
    if (warmup) p.warmup = warmup;
    if (!gpu && p.streams > 1) return streams_bench(p, json_path);
    if (!gpu) return pipeline_bench(p, min_fps, json_path);
    g.pipeline = p;
    g.live = igtb::inference_options(cfg);
    std::istringstream words(reference);
    for (std::string w; words >> w;) g.reference.push_back(w);
    g.references = igtb::parse_reference_runs(reference_runs);
    return gpu_bench(g, json_path);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
}
