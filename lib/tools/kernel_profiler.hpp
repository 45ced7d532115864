// The GPU kernels of a stretch of frames, from the CUDA driver's activity
// records (CUPTI, as CopyCounter): each kernel's name, stream and start/end,
// whether LibTorch, an AOTInductor package, our code or a replayed CUDA graph
// launched it. What `igtbridge-bench pipeline --kernel-profile N` prints:
// where the frame's GPU time goes (issue 24, docs/performance.md). Built
// where CUDA and CUPTI are found; elsewhere available() is false and start()
// throws. Not at the same time as a CopyCounter (one set of CUPTI callbacks
// per process).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace igtb {

/// One kernel activity record: what the summary is made of. The profiler
/// records the copies and memsets too (kernel false, a name in brackets such
/// as "[memcpy HtoD 505344 B]"): the trace shows them between the kernels,
/// the summary leaves them out.
struct KernelRecord {
  std::string name;  ///< as the driver reports it (mangled for C++ kernels)
  std::uint32_t stream = 0;
  std::uint64_t start_ns = 0, end_ns = 0;
  bool kernel = true;
};

struct KernelStat {
  std::string name;  ///< demangled, template arguments left out
  double calls_per_frame = 0;
  double ms_per_frame = 0;
};

struct KernelProfile {
  std::uint64_t frames = 0;
  double wall_ms_per_frame = 0;    ///< the host's clock over the profiled frames
  double kernels_per_frame = 0;
  double kernel_ms_per_frame = 0;  ///< the kernels' durations summed (streams side by side count twice)
  double busy_ms_per_frame = 0;    ///< the time some kernel ran (the union of their intervals)
  /// Per stream (driver's id): kernels and kernel ms per frame, most busy first.
  struct Stream {
    std::uint32_t id = 0;
    double kernels_per_frame = 0, kernel_ms_per_frame = 0;
  };
  std::vector<Stream> streams;
  std::vector<KernelStat> kernels;  ///< by time, largest first
};

/// The summary of the kernels of `records` over `frames` frames that took
/// `wall_ms` on the host's clock (pure: tested without a GPU).
KernelProfile summarize_kernels(const std::vector<KernelRecord>& records, std::uint64_t frames, double wall_ms);

/// "at::native::(anonymous namespace)::foo<float, 4>(...)" -> "at::native::foo": a
/// demangled name without template arguments, parameters and anonymous namespaces.
std::string short_kernel_name(const std::string& mangled);

/// The records as CSV, one kernel (or copy, memset) a line in order of start:
/// "start_us,end_us,stream,kernel", times in microseconds from the earliest start, kernels'
/// names as short_kernel_name gives them (quoted where they hold a comma or a quote). What `--kernel-trace FILE` writes, for
/// scripts/kernel_timeline.py (which stream waits for which, and where the frame's time goes).
std::string kernel_trace_csv(std::vector<KernelRecord> records);

/// A text table: totals, per stream, then the `top` largest kernels and the rest.
std::string kernel_profile_table(const KernelProfile& p, std::size_t top);

class KernelProfiler {
 public:
  static bool available();
  /// Throws std::runtime_error naming what is missing unless available().
  static void require();
  /// Starts recording kernels. Throws where CUPTI is missing or refuses.
  void start();
  /// Waits for the device, flushes the records and stops; returns the
  /// kernels since start().
  std::vector<KernelRecord> stop();
};

}  // namespace igtb
