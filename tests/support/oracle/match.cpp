#include "oracle/match.hpp"

#include "pipeline/tracking/track_step.hpp"

namespace igtb {
namespace {

void xywh(const Box& b, double* out) {
  out[0] = b.cx, out[1] = b.cy, out[2] = b.w, out[3] = b.h;
}

}  // namespace

// The arithmetic lives in track_step.hpp, shared with the device tracker.
double focal_class_cost(double p, double alpha, double gamma) { return step::focal_class_cost(p, alpha, gamma); }

double box_l1(const Box& a, const Box& b) {
  double p[4], q[4];
  xywh(a, p), xywh(b, q);
  return step::box_l1(p, q);
}

double giou(const Box& a, const Box& b) {
  double p[4], q[4];
  xywh(a, p), xywh(b, q);
  return step::giou(p, q);
}

CostMatrix match_costs(const std::vector<Detection>& detections, const std::vector<Box>& tracks,
                       const TrackParams& w) {
  CostMatrix m;
  m.rows = detections.size();
  m.cols = tracks.size();
  m.cost.resize(m.rows * m.cols);
  std::vector<double> tr(4 * m.cols);
  for (std::size_t c = 0; c < m.cols; ++c) xywh(tracks[c], &tr[4 * c]);
  for (std::size_t r = 0; r < m.rows; ++r) {
    double det[4];
    xywh(detections[r].box, det);
    for (std::size_t c = 0; c < m.cols; ++c) m.cost[r * m.cols + c] = step::match_cost(w, detections[r].score, det, &tr[4 * c]);
  }
  return m;
}

MatchResult match_detections(const std::vector<Detection>& detections, const std::vector<Box>& tracks,
                             const TrackParams& w) {
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
