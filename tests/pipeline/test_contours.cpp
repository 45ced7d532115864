#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <vector>

#include "pipeline/contours.hpp"

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
