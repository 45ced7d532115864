// igtbridge-bench contours: the host's contour extraction (label_contours)
// on label maps of the recording's geometry, from smooth regions (what
// trained segmenters give) to noise-like ones (what random or poorly
// calibrated weights give at a low threshold), p50/p99 ms and the size of
// the PolyData each makes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/pipeline_bench.hpp"

namespace igtb {

struct ContourBenchOptions {
  std::string file;            ///< the recording whose frame geometry is used
  std::uint64_t frames = 50;   ///< timed runs per label map
  std::uint64_t warmup = 3;
};

struct ContourBenchCase {
  std::string name;         ///< "disks", "speckled boxes", "noise"
  std::string description;
  StageSummary ms;          ///< name "contours"
  std::size_t labelled = 0; ///< label pixels in the map
  std::size_t loops = 0, points = 0;
};

/// Label maps (width x height of the recording's first frame, 10 labels):
/// ten disks; ten boxes, each pixel inside labelled with probability 1/2;
/// every pixel a random label 0..10. Deterministic (fixed seed).
std::vector<ContourBenchCase> run_contour_bench(const ContourBenchOptions& options);

}  // namespace igtb
