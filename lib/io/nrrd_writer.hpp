// One image (scalar or multi-component, up to 3D) as a NRRD file that 3D
// Slicer loads with the same geometry.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "core/scalar_type.hpp"

namespace igtb::io {

struct NrrdImage {
  std::array<std::uint32_t, 3> dims{1, 1, 1};  ///< i, j, k sizes (k = 1 for a 2D image)
  std::uint32_t components = 1;
  ScalarType scalar = ScalarType::UInt8;
  /// Space directions: the column vectors of i, j, k, each scaled by the spacing (RAS, mm).
  std::array<std::array<double, 3>, 3> directions{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  std::array<double, 3> origin{0, 0, 0};  ///< RAS centre of voxel (0,0,0)
  const void* data = nullptr;             ///< dims * components scalars, host byte order
  std::map<std::string, std::string> key_values;  ///< extra `key:=value` lines
};

/// Writes NRRD0004, space right-anterior-superior, raw little-endian data,
/// kinds `[vector] domain domain domain`. Throws std::invalid_argument for an
/// inconsistent image and std::runtime_error on I/O failure (both name path).
void write_nrrd(const std::string& path, const NrrdImage& img);

}  // namespace igtb::io
