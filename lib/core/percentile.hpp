// Percentiles of a sample (linear interpolation between closest ranks, as
// numpy's default), for the KPI summaries and the benchmarks.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace igtb {

/// p in [0, 100]; 0 for an empty sample. Sorts a copy.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(p, 0.0, 100.0) / 100.0 * double(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

}  // namespace igtb
