// igtbridge-bench transport: frames/s and MB/s of IMAGE frames through
// replay -> relay -> listen on loopback, beside a raw socket copy of the same
// bytes through the same topology (sender -> byte pump -> receiver) in the
// same run. The ratio is what the framing, CRC checks, queues and decoding cost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace igtb {

struct TransportBenchOptions {
  std::string file;          ///< PLUS sequence to serve (820x616 uint8 for the headline figure)
  std::uint64_t frames = 2000;
  std::uint64_t warmup = 100;  ///< frames not timed
  int repeat = 3;              ///< alternating runs of each path; medians are reported
};

struct Throughput {
  std::uint64_t frames = 0;  ///< timed frames
  double seconds = 0;
  double bytes = 0;          ///< wire bytes of the timed frames (IMAGE + its TRANSFORMs)
  double fps() const { return seconds > 0 ? double(frames) / seconds : 0; }
  double mb_per_s() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
};

struct TransportBenchResult {
  std::string frame;  ///< e.g. "820x616x1 uint8 x1 + 3 TRANSFORM"
  std::vector<Throughput> bridge_runs;
  std::vector<Throughput> raw_runs;
  std::uint64_t dropped = 0;  ///< frames the relay dropped for the listener, all runs
  Throughput bridge() const;  ///< the median run
  Throughput raw() const;
  double ratio() const { return raw().fps() > 0 ? bridge().fps() / raw().fps() : 0; }
};

TransportBenchResult run_transport_bench(const TransportBenchOptions& options);

}  // namespace igtb
