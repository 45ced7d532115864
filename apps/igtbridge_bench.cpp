// igtbridge-bench: throughput figures, printed with their baseline.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "common.hpp"
#include "tools/transport_bench.hpp"

#ifndef IGTB_DEFAULT_BENCH_FILE
#define IGTB_DEFAULT_BENCH_FILE ""
#endif

int main(int argc, char** argv) {
  igtb::TransportBenchOptions o;
  o.file = IGTB_DEFAULT_BENCH_FILE;
  bool transport = false;
  double min_ratio = 0;
  CLI::App cli{"igtbridge-bench: measured throughput, each figure beside its baseline from the same run"};
  cli.add_flag("--transport", transport, "IMAGE frames through replay -> relay -> listen vs a raw socket copy");
  cli.add_option("--file", o.file, "PLUS sequence to send")->capture_default_str();
  cli.add_option("--frames", o.frames, "frames per measurement")->capture_default_str();
  cli.add_option("--warmup", o.warmup, "frames not timed")->capture_default_str();
  cli.add_option("--repeat", o.repeat, "alternating runs of each path (medians reported)")->capture_default_str();
  cli.add_option("--min-ratio", min_ratio, "exit 1 if bridge/raw frames per second is below this");
  CLI11_PARSE(cli, argc, argv);
  igtb::app::setup_logging("warn", "bench");
  if (!transport) {
    std::fprintf(stderr, "nothing to measure: pass --transport\n");
    return 2;
  }
  try {
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
    std::printf("  %-46s %8.1f frames/s %8.1f MB/s\n", "median raw copy (sender -> pump -> receiver):",
                r.raw().fps(), r.raw().mb_per_s());
    std::printf("  ratio bridge/raw: %.2f\n", r.ratio());
    return r.ratio() < min_ratio ? 1 : 0;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
}
