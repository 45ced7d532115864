// The pieces of a contour loop that label_contours and its test oracle (an
// earlier walk, tests/pipeline/test_contours.cpp) share: the pixel-corner
// lattice a walk moves on, and what a walked loop becomes (its polyline
// through the crack midpoints, appended to a PolyData). Only the walk
// differs between the two.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/geometry.hpp"
#include "core/image.hpp"
#include "core/polydata.hpp"

namespace igtb::contour {

/// A corner of the pixel lattice: (x, y) for x in [0, w], y in [0, h].
struct Corner {
  int x, y;
  bool operator==(const Corner& o) const { return x == o.x && y == o.y; }
};

/// Directions: 0 +x, 1 +y, 2 -x, 3 -y (y pointing down).
constexpr int kDx[4] = {1, 0, -1, 0};
constexpr int kDy[4] = {0, 1, 0, -1};

/// One unit crack of a walk: from a corner in a direction.
struct Edge {
  Corner from;
  int dir;
};

/// Throws std::invalid_argument unless `geometry` is one slice.
void check_one_slice(const ImageInfo& geometry);

/// Label maps are mostly background: true where the eight bytes from
/// row[x] are all zero (and lie within the row of `width`).
inline bool eight_zeros(const std::uint8_t* row, int x, int width) {
  std::uint64_t word;
  return x + 8 <= width && (std::memcpy(&word, row + x, 8), word == 0);
}

/// The loop's points: the crack midpoints on either side of every turn, in
/// doubled lattice coordinates. The contour runs half-way between the
/// centres of the label's boundary pixels and their outside neighbours, and
/// its corners are cut at 45 degrees instead of following the staircase.
void turn_midpoints(const std::vector<Edge>& walk, std::vector<Corner>& loop);

/// Appends `loop` (doubled coordinates) as one closed line of `label`:
/// points mapped through `ijk_to_ras` (corner convention), the label in
/// `label_values` (the per-cell attribute's values).
void append_loop(PolyData& pd, std::vector<float>& label_values, const std::vector<Corner>& loop,
                 const Matrix4d& ijk_to_ras, int label);

}  // namespace igtb::contour
