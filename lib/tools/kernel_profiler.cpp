#include "tools/kernel_profiler.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>

#ifdef IGTB_WITH_CUPTI
#include <cuda_runtime_api.h>
#include <cupti.h>

#include <mutex>

#include "tools/cupti_support.hpp"
#endif

namespace igtb {

std::string short_kernel_name(const std::string& mangled) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status),
                                                &std::free);
  std::string s = status == 0 && d ? std::string(d.get()) : mangled;
  for (const std::string anon : {"(anonymous namespace)::", "void "})
    for (std::size_t at; (at = s.find(anon)) != std::string::npos;) s.erase(at, anon.size());
  std::string out;  // without <...> and (...) at any depth
  int depth = 0;
  for (char c : s) {
    if (c == '<' || c == '(') ++depth;
    if (depth == 0) out += c;
    if ((c == '>' || c == ')') && depth > 0) --depth;
  }
  return out.empty() ? s : out;
}

KernelProfile summarize_kernels(const std::vector<KernelRecord>& records, std::uint64_t frames, double wall_ms) {
  KernelProfile p;
  p.frames = frames;
  if (frames == 0) return p;
  const double n = double(frames);
  p.wall_ms_per_frame = wall_ms / n;
  std::map<std::string, std::pair<std::uint64_t, double>> by_name;
  std::map<std::uint32_t, std::pair<std::uint64_t, double>> by_stream;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  double total = 0;
  std::uint64_t kernels = 0;
  for (const auto& r : records) {
    if (!r.kernel) continue;
    ++kernels;
    const double ms = double(r.end_ns - std::min(r.start_ns, r.end_ns)) / 1e6;
    total += ms;
    auto& k = by_name[short_kernel_name(r.name)];
    ++k.first;
    k.second += ms;
    auto& s = by_stream[r.stream];
    ++s.first;
    s.second += ms;
    spans.emplace_back(r.start_ns, std::max(r.start_ns, r.end_ns));
  }
  std::sort(spans.begin(), spans.end());
  double busy = 0;
  for (std::size_t i = 0; i < spans.size();) {  // the union of the intervals
    std::uint64_t a = spans[i].first, b = spans[i].second;
    for (++i; i < spans.size() && spans[i].first <= b; ++i) b = std::max(b, spans[i].second);
    busy += double(b - a) / 1e6;
  }
  p.kernels_per_frame = double(kernels) / n;
  p.kernel_ms_per_frame = total / n;
  p.busy_ms_per_frame = busy / n;
  for (const auto& [id, s] : by_stream) p.streams.push_back({id, double(s.first) / n, s.second / n});
  std::sort(p.streams.begin(), p.streams.end(),
            [](const auto& a, const auto& b) { return a.kernel_ms_per_frame > b.kernel_ms_per_frame; });
  for (const auto& [name, k] : by_name) p.kernels.push_back({name, double(k.first) / n, k.second / n});
  std::sort(p.kernels.begin(), p.kernels.end(),
            [](const auto& a, const auto& b) { return a.ms_per_frame > b.ms_per_frame; });
  return p;
}

std::string kernel_trace_csv(std::vector<KernelRecord> records) {
  std::stable_sort(records.begin(), records.end(),
                   [](const KernelRecord& a, const KernelRecord& b) { return a.start_ns < b.start_ns; });
  const std::uint64_t t0 = records.empty() ? 0 : records.front().start_ns;
  std::string s = "start_us,end_us,stream,kernel\n";
  char line[96];
  for (const auto& r : records) {
    const std::uint64_t end = std::max(r.start_ns, r.end_ns);
    std::snprintf(line, sizeof line, "%.3f,%.3f,%u,", double(r.start_ns - t0) / 1e3, double(end - t0) / 1e3,
                  r.stream);
    s += line;
    std::string name = r.kernel ? short_kernel_name(r.name) : r.name;
    if (name.find_first_of(",\"\n\r") != std::string::npos) {
      std::string q = "\"";
      for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' || c == '\r' ? ' ' : c);
      name = q + "\"";
    }
    s += name + "\n";
  }
  return s;
}

std::string kernel_profile_table(const KernelProfile& p, std::size_t top) {
  char line[512];
  std::string s;
  std::snprintf(line, sizeof line,
                "  kernels: %llu frames profiled; per frame: %.1f kernels, %.3f ms of kernels, GPU busy %.3f ms of "
                "%.3f ms on the host's clock (idle %.0f %%)\n",
                static_cast<unsigned long long>(p.frames), p.kernels_per_frame, p.kernel_ms_per_frame,
                p.busy_ms_per_frame, p.wall_ms_per_frame,
                p.wall_ms_per_frame > 0 ? 100.0 * std::max(0.0, 1.0 - p.busy_ms_per_frame / p.wall_ms_per_frame) : 0.0);
  s += line;
  for (const auto& st : p.streams) {
    std::snprintf(line, sizeof line, "    stream %u: %.1f kernels, %.3f ms per frame\n", st.id, st.kernels_per_frame,
                  st.kernel_ms_per_frame);
    s += line;
  }
  std::snprintf(line, sizeof line, "    %-84s %7s %8s %6s\n", "kernel", "calls", "ms", "share");
  s += line;
  double rest = 0;
  for (std::size_t i = 0; i < p.kernels.size(); ++i) {
    const KernelStat& k = p.kernels[i];
    if (i >= top) {
      rest += k.ms_per_frame;
      continue;
    }
    std::snprintf(line, sizeof line, "    %-84.84s %7.1f %8.4f %5.1f%%\n", k.name.c_str(), k.calls_per_frame,
                  k.ms_per_frame, p.kernel_ms_per_frame > 0 ? 100.0 * k.ms_per_frame / p.kernel_ms_per_frame : 0.0);
    s += line;
  }
  if (p.kernels.size() > top) {
    std::snprintf(line, sizeof line, "    %-84s %7s %8.4f %5.1f%%\n",
                  ("(" + std::to_string(p.kernels.size() - top) + " other kernels)").c_str(), "", rest,
                  p.kernel_ms_per_frame > 0 ? 100.0 * rest / p.kernel_ms_per_frame : 0.0);
    s += line;
  }
  return s;
}

#ifdef IGTB_WITH_CUPTI
namespace {

// CUDA 13's kernel record; 12.x's before it (new fields are appended, the ones read here stay).
#if CUPTI_API_VERSION >= 130000
using KernelActivity = CUpti_ActivityKernel10;
#else
using KernelActivity = CUpti_ActivityKernel9;
#endif

const char* copy_kind(std::uint8_t kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD: return "HtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH: return "DtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD: return "DtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOH: return "HtoH";
    default: return "other";
  }
}

std::mutex g_m;
std::vector<KernelRecord> g_records;
void CUPTIAPI buffer_completed(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid) {
  CUpti_Activity* record = nullptr;
  std::lock_guard<std::mutex> lock(g_m);
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
      const auto* k = reinterpret_cast<const KernelActivity*>(record);
      g_records.push_back({k->name ? k->name : "?", k->streamId, k->start, k->end});
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
      const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
      g_records.push_back({std::string("[memcpy ") + copy_kind(m->copyKind) + " " + std::to_string(m->bytes) + " B]",
                           m->streamId, m->start, m->end, false});
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMSET) {
      const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(record);
      g_records.push_back({"[memset " + std::to_string(m->bytes) + " B]", m->streamId, m->start, m->end, false});
    }
  }
  std::free(buffer);
}

constexpr CUpti_ActivityKind kRecorded[] = {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY,
                                            CUPTI_ACTIVITY_KIND_MEMSET};

}  // namespace

bool KernelProfiler::available() { return true; }
void KernelProfiler::require() {}

void KernelProfiler::start() {
  {
    std::lock_guard<std::mutex> lock(g_m);
    g_records.clear();
  }
  if (cudaDeviceSynchronize() != cudaSuccess) throw std::runtime_error("kernel profiler: the CUDA device failed");
  cupti::check(cuptiActivityRegisterCallbacks(cupti::buffer_requested, buffer_completed), "register callbacks");
  for (const auto kind : kRecorded) cupti::check(cuptiActivityEnable(kind), "enable kernel, copy and memset records");
}

std::vector<KernelRecord> KernelProfiler::stop() {
  cudaDeviceSynchronize();
  cupti::check(cuptiActivityFlushAll(1), "flush");
  for (const auto kind : kRecorded) cupti::check(cuptiActivityDisable(kind), "disable kernel, copy and memset records");
  std::lock_guard<std::mutex> lock(g_m);
  return std::move(g_records);
}

#else

bool KernelProfiler::available() { return false; }
void KernelProfiler::require() {
  throw std::runtime_error("profiling kernels needs a build with CUDA and CUPTI (the GPU machine's LibTorch and toolkit)");
}
void KernelProfiler::start() { require(); }
std::vector<KernelRecord> KernelProfiler::stop() { return {}; }

#endif

}  // namespace igtb
