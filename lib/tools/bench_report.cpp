#include "tools/bench_report.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>

namespace igtb {

namespace {

/// printf into a string: the tables keep their column formats.
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void appendf(std::string& s, const char* format, ...) {
  char buf[1024];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  if (n > 0) s.append(buf, std::min<std::size_t>(std::size_t(n), sizeof buf - 1));
}

unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

std::string transport_bench_table(const TransportBenchOptions& o, const TransportBenchResult& r) {
  std::string s;
  appendf(s, "transport benchmark: %s per frame, %llu frames (%llu warm-up) per run, %d runs each, loopback 127.0.0.1\n",
          r.frame.c_str(), ull(o.frames), ull(o.warmup), int(r.bridge_runs.size()));
  for (std::size_t i = 0; i < r.bridge_runs.size(); ++i)
    appendf(s, "  run %zu: bridge %7.1f frames/s, raw %7.1f frames/s\n", i + 1, r.bridge_runs[i].fps(),
            r.raw_runs[i].fps());
  appendf(s, "  %-46s %8.1f frames/s %8.1f MB/s  (%llu dropped by the relay)\n",
          "median replay -> igtbridge relay -> listen:", r.bridge().fps(), r.bridge().mb_per_s(), ull(r.dropped));
  appendf(s, "  %-46s %8.1f frames/s %8.1f MB/s\n", "median raw copy (sender -> pump -> receiver):", r.raw().fps(),
          r.raw().mb_per_s());
  appendf(s, "  ratio bridge/raw: %.2f\n", r.ratio());
  return s;
}

std::string pipeline_bench_table(const PipelineBenchOptions& o, const PipelineBenchResult& r, double min_fps) {
  std::string s;
  const std::string device =
      r.device == "cpu" ? "cpu (" + std::to_string(r.cpu_threads) + " LibTorch thread" + (r.cpu_threads == 1 ? ")" : "s)")
                        : r.device;
  appendf(s, "pipeline benchmark: %s frames of %s, %llu timed (%llu warm-up), device %s, %s, %s\n",
          r.frame.c_str(), o.file.c_str(), ull(r.frames), ull(o.warmup), device.c_str(),
          o.pipeline.precision_label().c_str(), o.pipeline.models_label().c_str());
  appendf(s, "  %-12s %9s %9s %9s %9s\n", "stage", "p50 ms", "p95 ms", "p99 ms", "mean ms");
  for (const auto& st : r.stages)
    appendf(s, "  %-12s %9.2f %9.2f %9.2f %9.2f\n", st.name.c_str(), st.p50, st.p95, st.p99, st.mean);
  appendf(s, "  sustained: %.1f frames/s (one pipeline, back to back); %.2f live tracks, %.2f visible per frame\n",
          r.fps(), r.mean_tracks, r.mean_visible);
  if (r.device != "cpu") {
    appendf(s, "  GPU memory: %.0f MiB (in use after the timed frames less before the pipeline was built)\n",
            r.gpu_memory_mib);
    appendf(s, "  cuda graphs: %s; %llu captured, %llu replays%s%s; encoder beside the detector: %s; "
               "stream priority: %s\n",
            o.pipeline.cuda_graph ? "on" : "off", ull(r.graph_captures), ull(r.graph_replays),
            r.graph_failure.empty() ? "" : "; capture failed: ", r.graph_failure.c_str(),
            o.pipeline.overlap_encoder && !o.pipeline.sync_timing ? "yes" : "no",
            o.pipeline.high_priority ? "high" : "normal");
  }
  if (r.copy_frames > 0) {
    const double n = double(r.copy_frames);
    appendf(s, "  copies per frame (CUPTI, %llu further frames): H2D %.2f (%.0f bytes), D2H %.2f (%.0f bytes), "
               "D2D %.2f, other %.2f\n",
            ull(r.copy_frames), double(r.copies.h2d) / n, double(r.copies.h2d_bytes) / n, double(r.copies.d2h) / n,
            double(r.copies.d2h_bytes) / n, double(r.copies.d2d) / n, double(r.copies.other) / n);
  }
  if (r.kernels.frames > 0) s += kernel_profile_table(r.kernels, o.kernel_top);
  if (o.replay_timing > 0) {
    if (r.replay_frames == 0)
      appendf(s, "  replays timed: none of %llu further frames replayed a graph\n", ull(o.replay_timing));
    else
      appendf(s, "  replays timed: launch p50 %.3f p99 %.3f ms (host), graph p50 %.3f p99 %.3f ms (GPU, CUDA events), "
                 "process p50 %.3f p99 %.3f ms (host); %llu of %llu further frames, no profiler\n",
              r.replay_launch.p50, r.replay_launch.p99, r.replay_gpu.p50, r.replay_gpu.p99, r.replay_process.p50,
              r.replay_process.p99, ull(r.replay_frames), ull(o.replay_timing));
  }
  if (min_fps > 0) appendf(s, "  goal >= %.1f frames/s: %s\n", min_fps, r.fps() >= min_fps ? "met" : "NOT met");
  return s;
}

std::string streams_bench_table(const PipelineBenchOptions& o, const StreamsBenchResult& r) {
  std::string s;
  appendf(s, "streams benchmark: %zu pipelines at once on %s (one thread each, as the bridge's lanes), %s frames of "
             "%s, %llu timed each (%llu warm-up), %s\n",
          r.each.size(), r.device.c_str(), r.frame.c_str(), o.file.c_str(), ull(r.frames), ull(o.warmup),
          o.pipeline.precision_label().c_str());
  appendf(s, "  %-22s %9s %9s %9s %10s\n", "e2e", "p50 ms", "p95 ms", "p99 ms", "frames/s");
  appendf(s, "  %-22s %9.2f %9.2f %9.2f %10.1f\n", "one alone (baseline)", r.alone.p50, r.alone.p95, r.alone.p99,
          r.alone_fps);
  for (std::size_t i = 0; i < r.each.size(); ++i)
    appendf(s, "  %-22s %9.2f %9.2f %9.2f %10.1f\n",
            ("stream " + std::to_string(i + 1) + " of " + std::to_string(r.each.size())).c_str(), r.each[i].p50,
            r.each[i].p95, r.each[i].p99, r.each_fps[i]);
  const std::string memory = r.device.find("cuda") != std::string::npos
                                 ? ", GPU memory " + std::to_string(int(r.gpu_memory_mib + 0.5)) + " MiB"
                                 : "";
  appendf(s, "  together: %.1f frames/s over all streams (%.2fx one alone)%s\n", r.total_fps(),
          r.alone_fps > 0 ? r.total_fps() / r.alone_fps : 0.0, memory.c_str());
  return s;
}

std::string contour_bench_table(const ContourBenchOptions& o, const std::vector<ContourBenchCase>& cases) {
  std::string s;
  appendf(s, "contours (label_contours on the host), %s, %llu runs each:\n", o.file.c_str(), ull(o.frames));
  appendf(s, "  %-15s %9s %9s %10s %8s %9s\n", "label map", "p50 ms", "p99 ms", "labelled", "loops", "points");
  for (const auto& c : cases)
    appendf(s, "  %-15s %9.2f %9.2f %10zu %8zu %9zu   %s\n", c.name.c_str(), c.ms.p50, c.ms.p99, c.labelled, c.loops,
            c.points, c.description.c_str());
  return s;
}

ResultFile::ResultFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  out_.open(path_ + ".partial");
  if (!out_) throw std::runtime_error("cannot write the result file '" + path_ + ".partial'");
}

ResultFile::~ResultFile() {
  if (out_.is_open()) {
    out_.close();
    std::remove((path_ + ".partial").c_str());
  }
}

void ResultFile::write(const std::string& text) {
  if (path_.empty()) return;
  out_ << text;
  out_.close();
  if (!out_ || std::rename((path_ + ".partial").c_str(), path_.c_str()) != 0)
    throw std::runtime_error("cannot write the result file '" + path_ + "'");
}

}  // namespace igtb
