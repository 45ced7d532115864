#include "pipeline/contours.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace igtb {
namespace {

// Pixel-corner lattice: corner (x, y) for x in [0, w], y in [0, h].
struct Corner {
  int x, y;
  bool operator==(const Corner& o) const { return x == o.x && y == o.y; }
};

// Directions: 0 +x, 1 +y, 2 -x, 3 -y.
constexpr int kDx[4] = {1, 0, -1, 0};
constexpr int kDy[4] = {0, 1, 0, -1};

struct Edge {
  Corner from;
  int dir;
};

}  // namespace

PolyData label_contours(const std::uint8_t* labels, const ImageInfo& g) {
  if (g.dims[2] != 1) throw std::invalid_argument("label_contours: a 2D label map is needed, got " +
                                                  std::to_string(g.dims[2]) + " slices");
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
      // Label maps are mostly background: skip eight zero bytes at a time.
      std::uint64_t word;
      if (x + 8 <= w && (std::memcpy(&word, row + x, 8), word == 0)) {
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
      // Points at the crack midpoints on either side of every turn (in
      // doubled coordinates): the contour runs half-way between the centres
      // of the label's boundary pixels and their outside neighbours, and its
      // corners are cut at 45 degrees instead of following the staircase.
      std::vector<Corner> loop;  // doubled pixel-corner coordinates
      auto mid = [](const Edge& e) { return Corner{2 * e.from.x + kDx[e.dir], 2 * e.from.y + kDy[e.dir]}; };
      for (std::size_t k = 0; k < walk.size(); ++k) {
        const Edge& a = walk[k];
        const Edge& b = walk[(k + 1) % walk.size()];
        if (a.dir == b.dir) continue;
        for (const Corner c : {mid(a), mid(b)})
          if (loop.empty() || !(loop.back() == c)) loop.push_back(c);
      }
      while (loop.size() > 1 && loop.back() == loop.front()) loop.pop_back();
      std::vector<std::uint32_t> cell;
      const auto first = static_cast<std::uint32_t>(pd.points.size());
      for (const Corner& c : loop) {
        const double i = c.x / 2.0 - 0.5, j = c.y / 2.0 - 0.5;  // in voxel-index coordinates
        std::array<float, 3> p{};
        for (int r = 0; r < 3; ++r) p[r] = static_cast<float>(m[4 * r] * i + m[4 * r + 1] * j + m[4 * r + 3]);
        cell.push_back(static_cast<std::uint32_t>(pd.points.size()));
        pd.points.push_back(p);
      }
      cell.push_back(first);  // closed
      pd.lines.push_back(std::move(cell));
      label_attr.values.push_back(static_cast<float>(label));
    }
    lo = hi;
  }
  if (!pd.lines.empty()) pd.attributes.push_back(std::move(label_attr));
  return pd;
}

}  // namespace igtb
