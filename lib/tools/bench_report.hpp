// What igtbridge-bench prints and writes: each benchmark's table as text,
// and the --json result file. The app only chooses and prints.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "tools/contour_bench.hpp"
#include "tools/pipeline_bench.hpp"
#include "tools/transport_bench.hpp"

namespace igtb {

/// Runs of each path, their medians and the ratio bridge/raw.
std::string transport_bench_table(const TransportBenchOptions& options, const TransportBenchResult& result);
/// Per-stage p50/p95/p99/mean, frames/s, GPU memory, graphs and copies where
/// measured; with `min_fps` > 0 a line saying whether the goal was met.
std::string pipeline_bench_table(const PipelineBenchOptions& options, const PipelineBenchResult& result,
                                 double min_fps = 0);
/// Each stream's e2e beside one pipeline alone, and the total.
std::string streams_bench_table(const PipelineBenchOptions& options, const StreamsBenchResult& result);
/// One row per label map.
std::string contour_bench_table(const ContourBenchOptions& options, const std::vector<ContourBenchCase>& cases);

/// --json FILE (and --kernel-trace FILE): written as FILE.partial, opened at construction (a bad path
/// fails before the run) and renamed to FILE by write(), so a failed or
/// killed run leaves no empty or half-written FILE behind. An empty path
/// writes nothing.
class ResultFile {
 public:
  explicit ResultFile(std::string path);
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;
  void write(const std::string& text);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace igtb
