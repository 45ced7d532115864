#include "../support/catch.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "pipeline/stages/contours.hpp"
#include "pipeline/stages/contour_loop.hpp"

using namespace igtb;

namespace {

ImageInfo geometry(std::uint16_t w, std::uint16_t h, const Matrix4d& ijk_to_ras) {
  ImageInfo g;
  g.dims = {w, h, 1};
  g.subvolume_size = g.dims;
  g.matrix = wire_matrix_from_ijk_to_ras(ijk_to_ras, g.dims);
  return g;
}

const Matrix4d kIdentity = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};

// The implementation label_contours replaced (2026-12-02): every crack in one
// vector, sorted by (label, corner), each step a binary search. Kept here as
// the oracle: the walk-by-neighbours version must give the same loops.
namespace reference {
// The lattice and what a walked loop becomes are shared with label_contours
// (pipeline/stages/contour_loop.hpp); the oracle is the walk.
using contour::Corner;
using contour::Edge;
using contour::kDx;
using contour::kDy;

PolyData sorted_contours(const std::uint8_t* labels, const ImageInfo& g) {
  contour::check_one_slice(g);
  const int w = g.dims[0], h = g.dims[1];
  auto at = [&](int x, int y) -> int { return (x < 0 || y < 0 || x >= w || y >= h) ? -1 : labels[y * w + x]; };
  const Matrix4d m = ijk_to_ras_from_wire(g.matrix, g.dims);

  PolyData pd;
  PolyData::Attribute label_attr{"label", true, 1, {}};
  // Boundary edges of every label, oriented with the label on the walker's
  // left (x right, y down): (label, start corner) packed in a sort key, the
  // direction beside it. One flat vector, sorted once (stable: edges that
  // start at the same corner keep the order they were found in).
  struct Crack {
    std::uint64_t key;  ///< label << 32 | corner index y * (w + 1) + x
    int dir;
  };
  const auto stride = std::uint64_t(w) + 1;
  auto key_of = [&](std::uint64_t label, int x, int y) { return label << 32 | (std::uint64_t(y) * stride + std::uint64_t(x)); };
  std::vector<Crack> cracks;
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row = labels + std::size_t(y) * std::size_t(w);
    for (int x = 0; x < w; ++x) {
      if (contour::eight_zeros(row, x, w)) {
        x += 7;
        continue;
      }
      const int l = row[x];
      if (l == 0) continue;
      const auto L = std::uint64_t(l);
      if (at(x, y - 1) != l) cracks.push_back({key_of(L, x + 1, y), 2});      // top side, walking -x
      if (at(x, y + 1) != l) cracks.push_back({key_of(L, x, y + 1), 0});      // bottom side, walking +x
      if (at(x - 1, y) != l) cracks.push_back({key_of(L, x, y), 1});          // left side, walking +y
      if (at(x + 1, y) != l) cracks.push_back({key_of(L, x + 1, y + 1), 3});  // right side, walking -y
    }
  }
  std::stable_sort(cracks.begin(), cracks.end(), [](const Crack& a, const Crack& b) { return a.key < b.key; });
  std::vector<char> used(cracks.size(), 0);
  auto corner_of = [&](std::uint64_t key) {
    const std::uint64_t idx = key & 0xffffffffu;
    return Corner{int(idx % stride), int(idx / stride)};
  };

  for (std::size_t lo = 0; lo < cracks.size();) {
    const std::uint64_t label = cracks[lo].key >> 32;
    std::size_t hi = lo;
    while (hi < cracks.size() && cracks[hi].key >> 32 == label) ++hi;
    for (std::size_t s = lo; s < hi; ++s) {
      if (used[s]) continue;
      // Start at the first open edge and follow until back at its corner.
      used[s] = 1;
      const Corner start = corner_of(cracks[s].key);
      int dir = cracks[s].dir;
      std::vector<Edge> walk{Edge{start, dir}};  // every unit crack of the loop, in order
      Corner at_corner{start.x + kDx[dir], start.y + kDy[dir]};
      while (!(at_corner == start)) {
        // At a corner touched by two diagonal pixels two edges start: turn
        // towards the label first (dir + 3 with y pointing down), then
        // straight, then away, so diagonal neighbours get loops of their own
        // (4-connected regions) and every loop stays simple.
        const std::uint64_t k = key_of(label, at_corner.x, at_corner.y);
        const auto first = std::lower_bound(cracks.begin() + std::ptrdiff_t(lo), cracks.begin() + std::ptrdiff_t(hi), k,
                                             [](const Crack& c, std::uint64_t v) { return c.key < v; });
        std::size_t pick = hi;
        for (int turn : {3, 0, 1}) {
          const int want = (dir + turn) % 4;
          for (auto e = first; e != cracks.begin() + std::ptrdiff_t(hi) && e->key == k; ++e) {
            const auto i = std::size_t(e - cracks.begin());
            if (!used[i] && e->dir == want) {
              pick = i;
              break;
            }
          }
          if (pick != hi) break;
        }
        if (pick == hi) throw std::logic_error("label_contours: open boundary (internal error)");
        used[pick] = 1;
        dir = cracks[pick].dir;
        walk.push_back(Edge{at_corner, dir});
        at_corner = Corner{at_corner.x + kDx[dir], at_corner.y + kDy[dir]};
      }
      std::vector<Corner> loop;
      contour::turn_midpoints(walk, loop);
      contour::append_loop(pd, label_attr.values, loop, m, label);
    }
    lo = hi;
  }
  if (!pd.lines.empty()) pd.attributes.push_back(std::move(label_attr));
  return pd;
}

}  // namespace reference

/// Each loop as (label, its points rotated to start at the smallest): the
/// same set of loops whatever order or starting crack a version picks.
std::multiset<std::pair<int, std::vector<std::array<float, 3>>>> canonical_loops(const PolyData& pd) {
  std::multiset<std::pair<int, std::vector<std::array<float, 3>>>> out;
  for (std::size_t c = 0; c < pd.lines.size(); ++c) {
    const auto& line = pd.lines[c];
    REQUIRE(line.size() >= 2);
    REQUIRE(line.front() == line.back());
    std::vector<std::array<float, 3>> pts;
    for (std::size_t k = 0; k + 1 < line.size(); ++k) pts.push_back(pd.points[line[k]]);
    std::rotate(pts.begin(), std::min_element(pts.begin(), pts.end()), pts.end());
    out.insert({int(pd.attributes.at(0).values.at(c)), pts});
  }
  return out;
}

}  // namespace

TEST_CASE("one pixel: a closed diamond through its four crack midpoints, in RAS through the IMAGE matrix") {
  // spacing 2 x 3, corner voxel at (10, 20, 30)
  const Matrix4d m = {2, 0, 0, 10, 0, 3, 0, 20, 0, 0, 1, 30, 0, 0, 0, 1};
  std::vector<std::uint8_t> labels(4 * 4, 0);
  labels[1 * 4 + 2] = 7;  // pixel i = 2, j = 1
  const PolyData pd = label_contours(labels.data(), geometry(4, 4, m));
  REQUIRE(pd.lines.size() == 1);
  const auto& line = pd.lines[0];
  REQUIRE(line.size() == 5);
  CHECK(line.front() == line.back());  // closed
  // The midpoints of the pixel's four sides: (i +- 1/2, j) and (i, j +- 1/2), each once.
  std::set<std::pair<double, double>> seen;
  for (std::size_t k = 0; k + 1 < line.size(); ++k) {
    const auto& p = pd.points[line[k]];
    const double i = (p[0] - 10) / 2, j = (p[1] - 20) / 3;
    const bool side = (std::abs(std::abs(i - 2) - 0.5) < 1e-6 && std::abs(j - 1) < 1e-6) ||
                      (std::abs(i - 2) < 1e-6 && std::abs(std::abs(j - 1) - 0.5) < 1e-6);
    CHECK(side);
    CHECK(p[2] == Approx(30));
    seen.insert({i, j});
  }
  CHECK(seen.size() == 4);
  REQUIRE(pd.attributes.size() == 1);
  CHECK(pd.attributes[0].name == "label");
  CHECK(pd.attributes[0].per_cell);
  CHECK(pd.attributes[0].values == std::vector<float>{7});
}

TEST_CASE("two disks with different labels: one closed loop each, every point within 1/2 px of its circle") {
  const int w = 64, h = 48;
  struct Disk {
    double cx, cy, r;
    std::uint8_t label;
  };
  const Disk disks[] = {{18, 20, 9, 3}, {45, 26, 12.5, 5}};
  std::vector<std::uint8_t> labels(w * h, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (const auto& d : disks)
        if ((x - d.cx) * (x - d.cx) + (y - d.cy) * (y - d.cy) <= d.r * d.r) labels[y * w + x] = d.label;
  const PolyData pd = label_contours(labels.data(), geometry(w, h, kIdentity));
  REQUIRE(pd.lines.size() == 2);
  REQUIRE(pd.attributes.size() == 1);
  for (std::size_t c = 0; c < pd.lines.size(); ++c) {
    const auto label = static_cast<std::uint8_t>(pd.attributes[0].values[c]);
    const Disk& d = label == 3 ? disks[0] : disks[1];
    INFO("label " << int(label));
    CHECK((label == 3 || label == 5));
    CHECK(pd.lines[c].front() == pd.lines[c].back());
    CHECK(pd.lines[c].size() > 8);
    for (auto id : pd.lines[c]) {
      const auto& p = pd.points[id];  // identity geometry: RAS = voxel index coordinates
      const double dist = std::hypot(p[0] - d.cx, p[1] - d.cy);
      // Half-way between a pixel centre inside (<= r) and one outside (> r).
      CHECK(std::abs(dist - d.r) <= 0.5 + 1e-6);
    }
  }
}

TEST_CASE("a ring gives an outer and an inner loop; diagonal pixels give separate loops") {
  std::vector<std::uint8_t> ring(5 * 5, 1);
  ring[2 * 5 + 2] = 0;
  CHECK(label_contours(ring.data(), geometry(5, 5, kIdentity)).lines.size() == 2);
  std::vector<std::uint8_t> diagonal(3 * 3, 0);
  diagonal[0] = 2;
  diagonal[4] = 2;
  const PolyData pd = label_contours(diagonal.data(), geometry(3, 3, kIdentity));
  CHECK(pd.lines.size() == 2);
  for (const auto& l : pd.lines) CHECK(l.size() == 5);
}

TEST_CASE("no label: an empty PolyData (so Slicer clears)") {
  std::vector<std::uint8_t> labels(10 * 10, 0);
  const PolyData pd = label_contours(labels.data(), geometry(10, 10, kIdentity));
  CHECK(pd.points.empty());
  CHECK(pd.lines.empty());
  CHECK(pd.attributes.empty());
}

TEST_CASE("the same loops as the sorted-crack version on random label maps, holes and diagonal touches included") {
  std::mt19937 rng(5);
  int compared = 0;
  for (int round = 0; round < 300; ++round) {
    const int w = 1 + int(rng() % 23), h = 1 + int(rng() % 17);
    const int labels_in_use = 1 + int(rng() % 4);
    const double density = (rng() % 100) / 100.0;
    std::vector<std::uint8_t> labels(std::size_t(w) * h, 0);
    std::uniform_real_distribution<double> u(0, 1);
    for (auto& v : labels)
      if (u(rng) < density) v = std::uint8_t(1 + rng() % labels_in_use);
    const Matrix4d m = {0.5, 0, 0, -3, 0, 0.25, 0, 7, 0, 0, 1, 2, 0, 0, 0, 1};
    const PolyData got = label_contours(labels.data(), geometry(std::uint16_t(w), std::uint16_t(h), m));
    const PolyData want = reference::sorted_contours(labels.data(), geometry(std::uint16_t(w), std::uint16_t(h), m));
    INFO("round " << round << ": " << w << " x " << h << ", " << labels_in_use << " labels, density " << density);
    REQUIRE(got.lines.size() == want.lines.size());
    REQUIRE(got.points.size() == want.points.size());
    CHECK(canonical_loops(got) == canonical_loops(want));
    compared += int(want.lines.size());
  }
  CHECK(compared > 1000);  // the maps were not all empty
}
