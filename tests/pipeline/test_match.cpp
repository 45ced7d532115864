#include "../support/catch.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "oracle/assignment.hpp"
#include "oracle/match.hpp"

using namespace igtb;

namespace {

/// Smallest total over every way to give each row of the smaller side its own column.
double brute_force_min(const CostMatrix& m) {
  const bool transpose = m.rows > m.cols;
  const std::size_t small = transpose ? m.cols : m.rows, big = transpose ? m.rows : m.cols;
  auto cost = [&](std::size_t s, std::size_t b) { return transpose ? m.at(b, s) : m.at(s, b); };
  std::vector<std::size_t> cols(big);
  std::iota(cols.begin(), cols.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  // Every permutation of the big side; its first `small` entries are one injective choice.
  do {
    double total = 0;
    for (std::size_t s = 0; s < small; ++s) total += cost(s, cols[s]);
    best = std::min(best, total);
  } while (std::next_permutation(cols.begin(), cols.end()));
  return best;
}

void check_valid(const CostMatrix& m, const Assignment& a) {
  REQUIRE(a.col_of_row.size() == m.rows);
  std::vector<int> seen(m.cols, 0);
  std::size_t assigned = 0;
  double total = 0;
  for (std::size_t r = 0; r < m.rows; ++r) {
    const int c = a.col_of_row[r];
    if (c < 0) continue;
    REQUIRE(std::size_t(c) < m.cols);
    CHECK(++seen[std::size_t(c)] == 1);
    ++assigned;
    total += m.at(r, std::size_t(c));
  }
  CHECK(assigned == std::min(m.rows, m.cols));
  CHECK(a.total == Approx(total).margin(1e-12));
}

CostMatrix random_matrix(std::mt19937& rng, std::size_t rows, std::size_t cols, bool ties) {
  CostMatrix m{rows, cols, std::vector<double>(rows * cols)};
  std::uniform_real_distribution<double> real(-5, 5);
  std::uniform_int_distribution<int> small(0, 3);  // few distinct values: many ties
  for (auto& c : m.cost) c = ties ? small(rng) : real(rng);
  return m;
}

}  // namespace

TEST_CASE("assignment equals brute force on random square and rectangular matrices up to 7x7, ties included") {
  std::mt19937 rng(2026);
  int cases = 0;
  for (std::size_t rows = 1; rows <= 7; ++rows)
    for (std::size_t cols = 1; cols <= 7; ++cols)
      for (bool ties : {false, true})
        for (int k = 0; k < (rows * cols > 30 ? 4 : 12); ++k) {
          const CostMatrix m = random_matrix(rng, rows, cols, ties);
          INFO(rows << "x" << cols << (ties ? " with ties" : "") << " #" << k);
          const Assignment a = solve_assignment(m);
          check_valid(m, a);
          const double best = brute_force_min(m);
          if (ties)
            CHECK(a.total == best);  // small integers: exact
          else
            CHECK(a.total == Approx(best).margin(1e-9));
          ++cases;
        }
  CHECK(cases > 500);
}

TEST_CASE("assignment is deterministic and breaks ties towards the lowest column") {
  const CostMatrix all_equal{3, 3, std::vector<double>(9, 1.0)};
  const Assignment a = solve_assignment(all_equal);
  CHECK(a.col_of_row == std::vector<int>{0, 1, 2});
  std::mt19937 rng(5);
  const CostMatrix m = random_matrix(rng, 6, 6, true);
  CHECK(solve_assignment(m).col_of_row == solve_assignment(m).col_of_row);
}

TEST_CASE("assignment: empty sides, a known answer, and bad input") {
  CHECK(solve_assignment(CostMatrix{0, 3, {}}).col_of_row.empty());
  CHECK(solve_assignment(CostMatrix{2, 0, {}}).col_of_row == std::vector<int>{-1, -1});
  // Greedy would take the 1 and pay 100 after it; the exact answer is 2 + 3.
  const CostMatrix trap{2, 2, {1, 2, 3, 100}};
  const Assignment a = solve_assignment(trap);
  CHECK(a.col_of_row == std::vector<int>{1, 0});
  CHECK(a.total == 5);
  // More rows than columns: the cheapest rows win the columns.
  const CostMatrix tall{3, 1, {5, 1, 3}};
  CHECK(solve_assignment(tall).col_of_row == std::vector<int>{-1, 0, -1});
  CHECK_THROWS_AS(solve_assignment(CostMatrix{2, 2, {1, 2, 3}}), std::invalid_argument);
  CHECK_THROWS_AS(solve_assignment(CostMatrix{1, 1, {std::numeric_limits<double>::quiet_NaN()}}),
                  std::invalid_argument);
}

TEST_CASE("the matching cost terms against hand-computed values") {
  // alpha 0.25, gamma 2: 0.25 (1-p)^2 (-ln p) - 0.75 p^2 (-ln(1-p)), 1e-8 inside the logs
  CHECK(focal_class_cost(0.5, 0.25, 2) == Approx(-0.08664339506999316).margin(1e-12));
  CHECK(focal_class_cost(0.9, 0.25, 2) == Approx(-1.3985569819825194).margin(1e-12));
  CHECK(focal_class_cost(0.1, 0.25, 2) == Approx(0.46548325729719486).margin(1e-12));

  const Box a{0.5, 0.5, 0.2, 0.2};
  const Box b{0.6, 0.5, 0.2, 0.2};  // shifted by half its width
  CHECK(box_l1(a, b) == Approx(0.1));
  CHECK(giou(a, a) == Approx(1.0));
  CHECK(giou(a, b) == Approx(1.0 / 3));  // intersection 0.02, union 0.06, hull 0.06
  const Box left{0.25, 0.5, 0.1, 0.1}, right{0.75, 0.5, 0.1, 0.1};
  CHECK(giou(left, right) == Approx(-2.0 / 3));  // no overlap, union 0.02, hull 0.06

  // 1 * class + 5 * L1 + 2 * (-GIoU)
  const CostMatrix m = match_costs({{a, 0.9}}, {b}, TrackParams{});
  CHECK(m.at(0, 0) == Approx(-1.565223648649186).margin(1e-12));
}

TEST_CASE("match_detections pairs detections with their tracks and gates the rest into new tracks") {
  const std::vector<Box> tracks = {{0.2, 0.2, 0.1, 0.1}, {0.7, 0.7, 0.2, 0.2}};
  const std::vector<Detection> dets = {
      {{0.71, 0.69, 0.2, 0.2}, 0.9},  // track 1, moved a little
      {{0.5, 0.1, 0.1, 0.1}, 0.8},    // far from everything: a new track
      {{0.21, 0.2, 0.1, 0.1}, 0.85},  // track 0
  };
  const MatchResult r = match_detections(dets, tracks, TrackParams{});
  CHECK(r.track_of_detection == std::vector<int>{1, -1, 0});
  CHECK(r.cost[0] < 0);
  CHECK(r.cost[1] == 0);
  // With a gate that lets everything through, the far detection takes nothing either:
  // only two tracks exist and the two close detections hold them.
  TrackParams open;
  open.gate = 1e9;
  CHECK(match_detections(dets, tracks, open).track_of_detection == std::vector<int>{1, -1, 0});
}
