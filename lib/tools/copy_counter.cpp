#include "tools/copy_counter.hpp"

#include <stdexcept>
#include <string>

#ifdef IGTB_WITH_CUPTI
#include <cuda_runtime_api.h>
#include <cupti.h>

#include <atomic>
#include <cstdlib>

#include "tools/cupti_support.hpp"
#endif

namespace igtb {

#ifdef IGTB_WITH_CUPTI
namespace {

std::atomic<std::uint64_t> g_h2d{0}, g_d2h{0}, g_d2d{0}, g_other{0}, g_h2d_bytes{0}, g_d2h_bytes{0};
void CUPTIAPI buffer_completed(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid) {
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind != CUPTI_ACTIVITY_KIND_MEMCPY) continue;
    const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
    switch (m->copyKind) {
      case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD:
        ++g_h2d;
        g_h2d_bytes += m->bytes;
        break;
      case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH:
        ++g_d2h;
        g_d2h_bytes += m->bytes;
        break;
      case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD: ++g_d2d; break;
      default: ++g_other; break;
    }
  }
  std::free(buffer);
}

}  // namespace

bool CopyCounter::available() { return true; }
void CopyCounter::require() {}

void CopyCounter::start() {
  g_h2d = g_d2h = g_d2d = g_other = g_h2d_bytes = g_d2h_bytes = 0;
  if (cudaDeviceSynchronize() != cudaSuccess) throw std::runtime_error("copy counter: the CUDA device failed");
  cupti::check(cuptiActivityRegisterCallbacks(cupti::buffer_requested, buffer_completed), "register callbacks");
  cupti::check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY), "enable memcpy records");
}

CopyCounts CopyCounter::stop() {
  cudaDeviceSynchronize();
  cupti::check(cuptiActivityFlushAll(1), "flush");
  cupti::check(cuptiActivityDisable(CUPTI_ACTIVITY_KIND_MEMCPY), "disable memcpy records");
  CopyCounts c;
  c.h2d = g_h2d;
  c.d2h = g_d2h;
  c.d2d = g_d2d;
  c.other = g_other;
  c.h2d_bytes = g_h2d_bytes;
  c.d2h_bytes = g_d2h_bytes;
  return c;
}

#else

bool CopyCounter::available() { return false; }
void CopyCounter::require() {
  throw std::runtime_error("counting copies needs a build with CUDA and CUPTI (the GPU machine's LibTorch and toolkit)");
}
void CopyCounter::start() { require(); }
CopyCounts CopyCounter::stop() { return {}; }

#endif

}  // namespace igtb
