#include "pipeline/match.hpp"

#include <algorithm>
#include <cmath>

namespace igtb {
namespace {

struct Corners {
  double x0, y0, x1, y1;
};

Corners corners(const Box& b) { return {b.cx - b.w / 2, b.cy - b.h / 2, b.cx + b.w / 2, b.cy + b.h / 2}; }

double area(const Corners& c) { return std::max(0.0, c.x1 - c.x0) * std::max(0.0, c.y1 - c.y0); }

}  // namespace

double focal_class_cost(double p, double alpha, double gamma) {
  const double pos = alpha * std::pow(1 - p, gamma) * -std::log(p + 1e-8);
  const double neg = (1 - alpha) * std::pow(p, gamma) * -std::log(1 - p + 1e-8);
  return pos - neg;
}

double box_l1(const Box& a, const Box& b) {
  return std::abs(a.cx - b.cx) + std::abs(a.cy - b.cy) + std::abs(a.w - b.w) + std::abs(a.h - b.h);
}

double giou(const Box& a, const Box& b) {
  const Corners p = corners(a), q = corners(b);
  const Corners inter{std::max(p.x0, q.x0), std::max(p.y0, q.y0), std::min(p.x1, q.x1), std::min(p.y1, q.y1)};
  const double i = area(inter);
  const double u = area(p) + area(q) - i;
  const Corners hull{std::min(p.x0, q.x0), std::min(p.y0, q.y0), std::max(p.x1, q.x1), std::max(p.y1, q.y1)};
  const double h = area(hull);
  if (u <= 0 || h <= 0) return 0;  // degenerate boxes: no overlap information
  return i / u - (h - u) / h;
}

CostMatrix match_costs(const std::vector<Detection>& detections, const std::vector<Box>& tracks,
                       const MatchWeights& w) {
  CostMatrix m;
  m.rows = detections.size();
  m.cols = tracks.size();
  m.cost.resize(m.rows * m.cols);
  for (std::size_t r = 0; r < m.rows; ++r) {
    const double cls = focal_class_cost(detections[r].score, w.alpha, w.gamma);
    for (std::size_t c = 0; c < m.cols; ++c)
      m.cost[r * m.cols + c] =
          w.cls * cls + w.l1 * box_l1(detections[r].box, tracks[c]) - w.giou * giou(detections[r].box, tracks[c]);
  }
  return m;
}

MatchResult match_detections(const std::vector<Detection>& detections, const std::vector<Box>& tracks,
                             const MatchWeights& w) {
  const CostMatrix m = match_costs(detections, tracks, w);
  const Assignment a = solve_assignment(m);
  MatchResult r;
  r.track_of_detection.assign(detections.size(), -1);
  r.cost.assign(detections.size(), 0.0);
  for (std::size_t d = 0; d < detections.size(); ++d) {
    const int t = a.col_of_row[d];
    if (t < 0) continue;
    const double c = m.at(d, std::size_t(t));
    if (c > w.gate) continue;
    r.track_of_detection[d] = t;
    r.cost[d] = c;
  }
  return r;
}

}  // namespace igtb
