// Exact minimum-cost assignment (Hungarian method with potentials, shortest
// augmenting paths; O(n^2 m)). The CPU reference for the matcher and for the
// GPU solver of the fast-path issue, which must return the same assignment.
#pragma once

#include <cstddef>
#include <vector>

namespace igtb {

/// Row-major cost matrix, rows x cols, finite values.
struct CostMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> cost;
  double at(std::size_t r, std::size_t c) const { return cost[r * cols + c]; }
};

struct Assignment {
  std::vector<int> col_of_row;  ///< -1 where a row stays unassigned (rows > cols)
  double total = 0;             ///< sum of the assigned costs
};

/// Assigns min(rows, cols) pairs, each row and column at most once, with the
/// smallest total cost. Deterministic: rows are added in order and, among
/// equal candidates, the lowest column index wins. Throws
/// std::invalid_argument for a size mismatch or a non-finite cost.
Assignment solve_assignment(const CostMatrix& m);

}  // namespace igtb
