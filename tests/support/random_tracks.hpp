// Random cost matrices and detection sequences for the tracker parity tests: targets that
// drift, vanish and come back, clutter, weak candidates below the score
// threshold, in the detect stage's fixed-size form (top-k, descending
// scores, a valid mask), and the same frames as the reference Tracker's
// Detection lists. Seeded: every run sees the same sequences.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "oracle/assignment.hpp"
#include "pipeline/stages/detect.hpp"
#include "oracle/match.hpp"
#include "oracle/tracker.hpp"

namespace igtb::test {

/// `batch` random rows x cols cost matrices (float64): small integers 0..3
/// (many ties) or uniform in [-5, 5].
inline torch::Tensor random_costs(std::mt19937& rng, int batch, int rows, int cols, bool ties) {
  torch::Tensor c = torch::empty({batch, rows, cols}, torch::kFloat64);
  double* p = c.data_ptr<double>();
  std::uniform_int_distribution<int> small(0, 3);
  std::uniform_real_distribution<double> real(-5, 5);
  for (std::int64_t i = 0; i < c.numel(); ++i) p[i] = ties ? double(small(rng)) : real(rng);
  return c;
}

/// solve_assignment's col_of_row for matrix `b` of a batch made by random_costs.
inline std::vector<int> reference_assignment(const torch::Tensor& costs, int b) {
  CostMatrix m;
  m.rows = std::size_t(costs.size(1));
  m.cols = std::size_t(costs.size(2));
  const double* p = costs.data_ptr<double>() + std::int64_t(b) * costs.size(1) * costs.size(2);
  m.cost.assign(p, p + m.rows * m.cols);
  return solve_assignment(m).col_of_row;
}

struct RandomFrame {
  DetectionSet set;                 ///< CPU tensors, top_k entries
  std::vector<Detection> reference; ///< the valid ones, in order, as the Tracker takes them
};

class RandomTracks {
 public:
  RandomTracks(unsigned seed, int top_k, double threshold) : rng_(seed), top_k_(top_k), threshold_(threshold) {
    const int targets = std::uniform_int_distribution<int>(1, 14)(rng_);
    for (int i = 0; i < targets; ++i) targets_.push_back(Target{u(0.1, 0.9), u(0.1, 0.9), u(0.03, 0.2), u(0.03, 0.2),
                                                                u(-0.01, 0.01), u(-0.01, 0.01), u(0.5, 0.95)});
  }

  /// A random tracker configuration (small capacities, short LOST delays,
  /// now and then theta_off = 0 so VISIBLE tracks outnumber the slots).
  TrackParams config() {
    TrackParams c;
    const int caps[] = {2, 5, 8, 64};
    c.max_tracks = caps[std::uniform_int_distribution<int>(0, 3)(rng_)];
    c.lost_after_frames = std::uniform_int_distribution<int>(1, 6)(rng_);
    c.theta_on = u(0.5, 0.8);
    c.theta_off = u(0, 1) < 0.2 ? 0.0 : u(0.2, c.theta_on);
    c.gate = u(0, 1) < 0.5 ? 1.0 : u(0.2, 4.0);
    c.min_new_score = u(0.5, 0.8);
    return c;
  }

  RandomFrame next() {
    std::vector<std::pair<float, std::array<float, 4>>> cands;
    for (auto& t : targets_) {
      t.cx += t.vx + u(-0.004, 0.004);
      t.cy += t.vy + u(-0.004, 0.004);
      if (u(0, 1) < 0.8)
        cands.push_back({float(std::clamp(t.strength + u(-0.3, 0.1), 0.01, 0.99)),
                         {float(t.cx + u(-0.003, 0.003)), float(t.cy), float(t.w), float(t.h * u(0.95, 1.05))}});
    }
    const int clutter = std::uniform_int_distribution<int>(0, 4)(rng_);
    for (int i = 0; i < clutter; ++i)
      cands.push_back({float(u(0.05, 0.9)), {float(u(0, 1)), float(u(0, 1)), float(u(0.01, 0.3)), float(u(0.01, 0.3))}});
    std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    cands.resize(std::size_t(top_k_), {0.0f, {0, 0, 0, 0}});  // pads with score 0: below any threshold
    RandomFrame f;
    f.set.scores = torch::empty({top_k_}, torch::kFloat32);
    f.set.boxes_norm = torch::empty({top_k_, 4}, torch::kFloat32);
    for (int k = 0; k < top_k_; ++k) {
      f.set.scores[k] = cands[std::size_t(k)].first;
      for (int c = 0; c < 4; ++c) f.set.boxes_norm[k][c] = cands[std::size_t(k)].second[std::size_t(c)];
      const auto& b = cands[std::size_t(k)].second;
      if (double(cands[std::size_t(k)].first) >= threshold_)
        f.reference.push_back(Detection{Box{b[0], b[1], b[2], b[3]}, double(cands[std::size_t(k)].first)});
    }
    f.set.valid = f.set.scores >= threshold_;
    return f;
  }

 private:
  struct Target {
    double cx, cy, w, h, vx, vy, strength;
  };
  double u(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }

  std::mt19937 rng_;
  int top_k_;
  double threshold_;
  std::vector<Target> targets_;
};

}  // namespace igtb::test
