#include "pipeline/stages/contours.hpp"

#include "pipeline/stages/contour_loop.hpp"

#include <cstring>
#include <stdexcept>
#include <vector>

namespace igtb {

namespace contour {

void check_one_slice(const ImageInfo& g) {
  if (g.dims[2] != 1)
    throw std::invalid_argument("label_contours: a 2D label map is needed, got " + std::to_string(g.dims[2]) +
                                " slices");
}

void turn_midpoints(const std::vector<Edge>& walk, std::vector<Corner>& loop) {
  loop.clear();
  auto mid = [](const Edge& e) { return Corner{2 * e.from.x + kDx[e.dir], 2 * e.from.y + kDy[e.dir]}; };
  for (std::size_t k = 0; k < walk.size(); ++k) {
    const Edge& a = walk[k];
    const Edge& b = walk[(k + 1) % walk.size()];
    if (a.dir == b.dir) continue;
    for (const Corner c : {mid(a), mid(b)})
      if (loop.empty() || !(loop.back() == c)) loop.push_back(c);
  }
  while (loop.size() > 1 && loop.back() == loop.front()) loop.pop_back();
}

void append_loop(PolyData& pd, std::vector<float>& label_values, const std::vector<Corner>& loop,
                 const Matrix4d& m, int label) {
  std::vector<std::uint32_t> cell;
  cell.reserve(loop.size() + 1);
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
  label_values.push_back(static_cast<float>(label));
}

}  // namespace contour

using contour::Corner;
using contour::Edge;
using contour::kDx;
using contour::kDy;

PolyData label_contours(const std::uint8_t* labels, const ImageInfo& g) {
  contour::check_one_slice(g);
  const int w = g.dims[0], h = g.dims[1];
  auto at = [&](int x, int y) -> int {
    return (x < 0 || y < 0 || x >= w || y >= h) ? -1 : labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
  };
  const Matrix4d m = ijk_to_ras_from_wire(g.matrix, g.dims);

  // A crack is one side of a label pixel whose neighbour across it has
  // another value, walked with the label on the walker's left (x right,
  // y down). Walking needs no index: the crack that leaves corner (x, y) in
  // direction d, and the pixel it belongs to, follow from the four pixels
  // around the corner. Each pixel keeps four bits: which of its sides have
  // been walked.
  enum : std::uint8_t { kTop = 1, kBottom = 2, kLeft = 4, kRight = 8 };
  std::vector<std::uint8_t> walked(std::size_t(w) * std::size_t(h), 0);
  // The label pixel and side of the crack leaving corner (x, y) in direction
  // d, or -1 if there is none for `label`.
  auto crack = [&](int label, int x, int y, int d, std::uint8_t* side) -> std::ptrdiff_t {
    int px = x, py = y, ox = x, oy = y;  // the label pixel and its neighbour across the crack
    switch (d) {
      case 0: px = x, py = y - 1, ox = x, oy = y, *side = kBottom; break;       // +x: bottom of (x, y-1)
      case 1: px = x, py = y, ox = x - 1, oy = y, *side = kLeft; break;         // +y: left of (x, y)
      case 2: px = x - 1, py = y, ox = x - 1, oy = y - 1, *side = kTop; break;  // -x: top of (x-1, y)
      default: px = x - 1, py = y - 1, ox = x, oy = y - 1, *side = kRight;      // -y: right of (x-1, y-1)
    }
    if (at(px, py) != label || at(ox, oy) == label) return -1;
    return std::ptrdiff_t(py) * std::ptrdiff_t(w) + px;
  };

  PolyData pd;
  PolyData::Attribute label_attr{"label", true, 1, {}};
  std::vector<Edge> walk;    // every unit crack of the loop, in order
  std::vector<Corner> loop;  // doubled pixel-corner coordinates
  // Every loop, outer or around a hole, has a top-side crack (the outer
  // loop's top row; a hole's bottom row): raster order over the unwalked top
  // sides finds each loop once.
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row = labels + std::size_t(y) * std::size_t(w);
    for (int x = 0; x < w; ++x) {
      if (contour::eight_zeros(row, x, w)) {  // mostly background: eight bytes at a time
        x += 7;
        continue;
      }
      const int label = row[x];
      if (label == 0 || at(x, y - 1) == label || (walked[std::size_t(y) * w + x] & kTop)) continue;
      walked[std::size_t(y) * w + x] |= kTop;
      const Corner start{x + 1, y};
      int dir = 2;
      walk.assign(1, Edge{start, dir});
      Corner at_corner{start.x + kDx[dir], start.y + kDy[dir]};
      for (;;) {
        // At a corner touched by two diagonal pixels two cracks leave: turn
        // towards the label first (dir + 3 with y pointing down), then
        // straight, then away, so diagonal neighbours get loops of their own
        // (4-connected regions). The rule pairs arriving and leaving cracks
        // one to one, so the walk ends where it began: at the start crack, not
        // at the first return to its corner (a walk can touch a diagonal
        // corner twice; the polyline, through crack midpoints, does not).
        std::ptrdiff_t pick = -1;
        std::uint8_t side = 0;
        for (int turn : {3, 0, 1}) {
          const int want = (dir + turn) % 4;
          pick = crack(label, at_corner.x, at_corner.y, want, &side);
          if (pick >= 0) {
            dir = want;
            break;
          }
        }
        if (pick < 0) throw std::logic_error("label_contours: open boundary (internal error)");
        if (at_corner == start && dir == 2) break;
        if (walked[std::size_t(pick)] & side) throw std::logic_error("label_contours: crack walked twice (internal error)");
        walked[std::size_t(pick)] |= side;
        walk.push_back(Edge{at_corner, dir});
        at_corner = Corner{at_corner.x + kDx[dir], at_corner.y + kDy[dir]};
      }
      contour::turn_midpoints(walk, loop);
      contour::append_loop(pd, label_attr.values, loop, m, label);
    }
  }
  if (!pd.lines.empty()) pd.attributes.push_back(std::move(label_attr));
  return pd;
}

}  // namespace igtb
