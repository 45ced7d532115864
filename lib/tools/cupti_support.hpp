// What CopyCounter and KernelProfiler share of CUPTI's activity API (CUDA
// builds with CUPTI only): the error check and the record buffers CUPTI asks
// for (their completion callbacks free them).
#pragma once

#ifdef IGTB_WITH_CUPTI
#include <cupti.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace igtb::cupti {

inline void check(CUptiResult r, const char* what) {
  if (r == CUPTI_SUCCESS) return;
  const char* text = nullptr;
  cuptiGetResultString(r, &text);
  throw std::runtime_error(std::string("CUPTI ") + what + ": " + (text ? text : "unknown error"));
}

/// 8 MiB, 8-byte aligned: about 50,000 kernel records between flushes.
inline void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  constexpr std::size_t kBufferBytes = 8 << 20;
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

}  // namespace igtb::cupti
#endif
