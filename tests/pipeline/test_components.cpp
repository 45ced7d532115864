// The segment shape's objects: 8-connected regions of one class, held
// against a plain flood fill on random class maps.
#include "pipeline/stages/components.hpp"

#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "../support/catch.hpp"

using namespace igtb;

namespace {

/// The oracle: a flood fill per region; every region's pixel set.
std::vector<std::set<int>> flood_regions(const std::vector<std::uint8_t>& c, int w, int h) {
  std::vector<int> seen(c.size(), 0);
  std::vector<std::set<int>> regions;
  for (int s = 0; s < w * h; ++s) {
    if (c[std::size_t(s)] == 0 || seen[std::size_t(s)]) continue;
    std::set<int> region;
    std::vector<int> stack{s};
    seen[std::size_t(s)] = 1;
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      region.insert(i);
      const int x = i % w, y = i / w;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const int j = ny * w + nx;
          if (!seen[std::size_t(j)] && c[std::size_t(j)] == c[std::size_t(s)]) {
            seen[std::size_t(j)] = 1;
            stack.push_back(j);
          }
        }
    }
    regions.push_back(region);
  }
  return regions;
}

}  // namespace

TEST_CASE("regions: classes apart, diagonals joined, a U one region, boxes, areas, scores, largest first") {
  // 0 = background. A U of class 1 (joins at its bottom), a diagonal pair of
  // class 2 (one region, 8-connected), a class-2 pixel touching the U (its own region).
  const int w = 8, h = 5;
  const std::vector<std::uint8_t> c = {
      1, 0, 1, 0, 0, 0, 0, 0,  //
      1, 0, 1, 2, 0, 0, 2, 0,  //
      1, 1, 1, 0, 0, 0, 0, 2,  //
      0, 0, 0, 0, 0, 0, 0, 0,  //
      0, 0, 0, 0, 0, 0, 0, 0,
  };
  std::vector<std::uint8_t> fg(c.size(), 0);
  for (std::size_t i = 0; i < c.size(); ++i) fg[i] = c[i] == 1 ? 204 : c[i] == 2 ? 102 : 0;
  const ComponentMap m = connected_components(c.data(), fg.data(), w, h, 1, 100);
  REQUIRE(m.components.size() == 3);
  const Component& u = m.components[0];
  CHECK(u.label == 1);
  CHECK(u.area == 7);
  CHECK((u.x0 == 0 && u.y0 == 0 && u.x1 == 2 && u.y1 == 2));
  CHECK(u.score == Approx(0.8));
  const Component& diag = m.components[1];
  CHECK(diag.label == 2);
  CHECK(diag.area == 2);
  CHECK((diag.x0 == 6 && diag.y0 == 1 && diag.x1 == 7 && diag.y1 == 2));
  CHECK(diag.score == Approx(0.4));
  CHECK(m.components[2].area == 1);
  CHECK(m.index[0] == 0);
  CHECK(m.index[3] == -1);
  CHECK(m.index[1 * w + 3] == 2);
  CHECK(m.index[2 * w + 7] == 1);

  // min_area drops the single pixel (it stays out of every object); max_objects keeps the largest.
  const ComponentMap big = connected_components(c.data(), nullptr, w, h, 2, 100);
  CHECK(big.components.size() == 2);
  CHECK(big.index[1 * w + 3] == -1);
  CHECK(big.components[0].score == 1.0);
  const ComponentMap one = connected_components(c.data(), nullptr, w, h, 1, 1);
  REQUIRE(one.components.size() == 1);
  CHECK(one.components[0].area == 7);
  CHECK(one.index[2 * w + 7] == -1);
}

TEST_CASE("regions equal a flood fill's on random class maps") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const int w = 5 + int(rng() % 40), h = 3 + int(rng() % 30);
    const double density = 0.2 + 0.6 * double(rng() % 100) / 100.0;
    std::vector<std::uint8_t> c(std::size_t(w * h));
    for (auto& v : c) v = (rng() % 1000) / 1000.0 < density ? std::uint8_t(1 + rng() % 3) : 0;
    INFO("trial " << trial << ", " << w << "x" << h);
    const auto want = flood_regions(c, w, h);
    const ComponentMap got = connected_components(c.data(), nullptr, w, h, 1, 1u << 20);
    REQUIRE(got.components.size() == want.size());
    // The same partition: each oracle region's pixels share one index, and
    // that object's area and class are the region's.
    std::set<int> used;
    for (const auto& region : want) {
      const int o = got.index[std::size_t(*region.begin())];
      REQUIRE(o >= 0);
      for (int i : region) REQUIRE(got.index[std::size_t(i)] == o);
      CHECK(got.components[std::size_t(o)].area == std::int64_t(region.size()));
      CHECK(got.components[std::size_t(o)].label == c[std::size_t(*region.begin())]);
      CHECK(used.insert(o).second);
    }
    for (std::size_t k = 1; k < got.components.size(); ++k)
      CHECK(got.components[k - 1].area >= got.components[k].area);
  }
}
