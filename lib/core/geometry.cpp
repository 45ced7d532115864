#include "core/geometry.hpp"

#include <cmath>

namespace igtb {

std::array<float, 12> wire_matrix_from_ijk_to_ras(const Matrix4d& m, const std::array<std::uint16_t, 3>& dims) {
  std::array<float, 12> w{};
  double half[3];
  for (int c = 0; c < 3; ++c) half[c] = (double(dims[c]) - 1.0) / 2.0;
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 3; ++r) w[3 * c + r] = static_cast<float>(m[4 * r + c]);
  for (int r = 0; r < 3; ++r)
    w[9 + r] = static_cast<float>(m[4 * r + 3] + m[4 * r] * half[0] + m[4 * r + 1] * half[1] + m[4 * r + 2] * half[2]);
  return w;
}

Matrix4d ijk_to_ras_from_wire(const std::array<float, 12>& w, const std::array<std::uint16_t, 3>& dims) {
  Matrix4d m{};
  double half[3];
  for (int c = 0; c < 3; ++c) half[c] = (double(dims[c]) - 1.0) / 2.0;
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 3; ++r) m[4 * r + c] = w[3 * c + r];
  for (int r = 0; r < 3; ++r)
    m[4 * r + 3] = double(w[9 + r]) - (m[4 * r] * half[0] + m[4 * r + 1] * half[1] + m[4 * r + 2] * half[2]);
  m[15] = 1.0;
  return m;
}

std::array<double, 3> image_spacing(const ImageInfo& info) {
  std::array<double, 3> s{};
  for (int c = 0; c < 3; ++c)
    s[c] = std::sqrt(double(info.matrix[3 * c]) * info.matrix[3 * c] + double(info.matrix[3 * c + 1]) * info.matrix[3 * c + 1] +
                     double(info.matrix[3 * c + 2]) * info.matrix[3 * c + 2]);
  return s;
}

}  // namespace igtb
