// How much slower than a plain build the tests run: IGTB_TIME_SCALE (>= 1,
// default 1), which scripts/sanitize.sh sets for sanitizer builds (the CPU
// pipeline under ASan runs ~20x slower). Timing limits in tests multiply by
// it and paced streams divide by it; the plain build keeps the real limits.
#pragma once

#include <cstdlib>

namespace igtb::test {

inline double time_scale() {
  const char* v = std::getenv("IGTB_TIME_SCALE");
  const double s = v ? std::atof(v) : 1.0;
  return s >= 1.0 ? s : 1.0;
}

}  // namespace igtb::test
