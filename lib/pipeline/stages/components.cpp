#include "pipeline/stages/components.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace igtb {
namespace {

/// Union-find over provisional labels, the smaller root wins (so a region's
/// root is its first pixel in row order).
struct Forest {
  std::vector<std::int32_t> parent;
  std::int32_t add() {
    parent.push_back(std::int32_t(parent.size()));
    return parent.back();
  }
  std::int32_t find(std::int32_t a) {
    while (parent[std::size_t(a)] != a) {
      parent[std::size_t(a)] = parent[std::size_t(parent[std::size_t(a)])];
      a = parent[std::size_t(a)];
    }
    return a;
  }
  void join(std::int32_t a, std::int32_t b) {
    a = find(a);
    b = find(b);
    if (a < b) parent[std::size_t(b)] = a;
    else if (b < a) parent[std::size_t(a)] = b;
  }
};

}  // namespace

ComponentMap connected_components(const std::uint8_t* classes, const std::uint8_t* foreground, std::int32_t width,
                                  std::int32_t height, std::int64_t min_area, std::size_t max_objects) {
  if (width < 0 || height < 0) throw std::invalid_argument("connected_components: negative size");
  const std::size_t w = std::size_t(width), n = w * std::size_t(height);
  ComponentMap out;
  out.index.assign(n, -1);
  std::vector<std::int32_t>& lab = out.index;  // provisional labels first, object indices at the end
  Forest forest;
  // Pass 1: each pixel takes the label of an already-labelled 8-neighbour of
  // its class (left, and the three above) and joins the others' regions to
  // it. Where the left neighbour matches, its own neighbours above were
  // looked at already: only the one above-right is new.
  for (std::size_t y = 0; y < std::size_t(height); ++y)
    for (std::size_t x = 0; x < w; ++x) {
      const std::size_t i = y * w + x;
      const std::uint8_t c = classes[i];
      if (c == 0) continue;
      std::int32_t l = -1;
      const auto meet = [&](std::size_t j) {
        if (classes[j] != c) return;
        const std::int32_t m = lab[j];
        if (l < 0) l = m;
        else if (m != l) forest.join(l, m);
      };
      if (x > 0 && classes[i - 1] == c) {
        l = lab[i - 1];
        if (y > 0 && x + 1 < w) meet(i - w + 1);
      } else if (y > 0) {
        if (x > 0) meet(i - w - 1);
        meet(i - w);
        if (x + 1 < w) meet(i - w + 1);
      }
      lab[i] = l >= 0 ? l : forest.add();
    }
  // Each provisional label's region, in the order their roots first appear
  // (row order): its box, area and probability sum.
  std::vector<std::int32_t> region_of(forest.parent.size(), -1);
  for (std::size_t k = 0; k < region_of.size(); ++k) region_of[k] = forest.find(std::int32_t(k));  // roots first
  std::vector<std::int32_t> root_region(forest.parent.size(), -1);
  std::vector<Component> regions;
  std::vector<std::uint64_t> prob_sum_u;  // 0..255 per pixel: summed exactly as integers
  for (std::size_t i = 0, y0 = 0; y0 < std::size_t(height); ++y0)
    for (std::size_t x0 = 0; x0 < w; ++x0, ++i) {
      if (lab[i] < 0) continue;
      std::int32_t& r = root_region[std::size_t(region_of[std::size_t(lab[i])])];
      const std::int32_t x = std::int32_t(x0), y = std::int32_t(y0);
      if (r < 0) {
        r = std::int32_t(regions.size());
        Component c;
        c.label = classes[i];
        c.x0 = c.x1 = x;
        c.y0 = c.y1 = y;
        regions.push_back(c);
        prob_sum_u.push_back(0);
      }
      Component& c = regions[std::size_t(r)];
      c.x0 = std::min(c.x0, x);
      c.x1 = std::max(c.x1, x);
      c.y1 = y;
      ++c.area;
      prob_sum_u[std::size_t(r)] += foreground ? foreground[i] : 255u;
      lab[i] = r;
    }
  // The objects: large enough, the largest first, at most max_objects.
  std::vector<std::int32_t> order(regions.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return regions[std::size_t(a)].area > regions[std::size_t(b)].area;
  });
  std::vector<std::int32_t> object_of(regions.size(), -1);
  for (std::int32_t r : order) {
    Component c = regions[std::size_t(r)];
    if (c.area < min_area || out.components.size() >= max_objects) continue;
    c.score = double(prob_sum_u[std::size_t(r)]) / (255.0 * double(c.area));
    object_of[std::size_t(r)] = std::int32_t(out.components.size());
    out.components.push_back(c);
  }
  for (std::int32_t& l : lab)
    if (l >= 0) l = object_of[std::size_t(l)];
  return out;
}

}  // namespace igtb
