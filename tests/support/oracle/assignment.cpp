#include "oracle/assignment.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace igtb {
namespace {

/// rows <= cols. Potentials u (rows) and v (cols); for each new row, grow a
/// shortest-path tree over columns (Dijkstra on reduced costs) until a free
/// column is reached, then flip the path. Index 0 is a virtual column.
std::vector<int> hungarian(std::size_t n, std::size_t m, const std::vector<double>& a) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(m + 1, 0), way_cost(m + 1);
  std::vector<std::size_t> row_of(m + 1, 0), way(m + 1, 0);
  std::vector<char> used(m + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    row_of[0] = i;
    std::size_t j0 = 0;
    std::fill(way_cost.begin(), way_cost.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = row_of[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < way_cost[j]) {
          way_cost[j] = cur;
          way[j] = j0;
        }
        if (way_cost[j] < delta) {  // strict: the lowest column wins a tie
          delta = way_cost[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          way_cost[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    do {  // flip the augmenting path
      const std::size_t j1 = way[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> col_of_row(n, -1);
  for (std::size_t j = 1; j <= m; ++j)
    if (row_of[j] != 0) col_of_row[row_of[j] - 1] = static_cast<int>(j - 1);
  return col_of_row;
}

}  // namespace

Assignment solve_assignment(const CostMatrix& m) {
  if (m.cost.size() != m.rows * m.cols)
    throw std::invalid_argument("cost matrix " + std::to_string(m.rows) + "x" + std::to_string(m.cols) + " has " +
                                std::to_string(m.cost.size()) + " values");
  for (double c : m.cost)
    if (!std::isfinite(c)) throw std::invalid_argument("cost matrix holds a non-finite value");
  Assignment out;
  out.col_of_row.assign(m.rows, -1);
  if (m.rows == 0 || m.cols == 0) return out;
  if (m.rows <= m.cols) {
    out.col_of_row = hungarian(m.rows, m.cols, m.cost);
  } else {  // more rows than columns: solve the transpose
    std::vector<double> t(m.cost.size());
    for (std::size_t r = 0; r < m.rows; ++r)
      for (std::size_t c = 0; c < m.cols; ++c) t[c * m.rows + r] = m.at(r, c);
    const std::vector<int> row_of_col = hungarian(m.cols, m.rows, t);
    for (std::size_t c = 0; c < m.cols; ++c) out.col_of_row[std::size_t(row_of_col[c])] = static_cast<int>(c);
  }
  for (std::size_t r = 0; r < m.rows; ++r)
    if (out.col_of_row[r] >= 0) out.total += m.at(r, std::size_t(out.col_of_row[r]));
  return out;
}

}  // namespace igtb
