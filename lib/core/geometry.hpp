// Image geometry: OpenIGTLink's IMAGE matrix (spacing-scaled axes and the
// position of the image CENTRE, as ImageInfo::matrix holds it) against the
// IJK->RAS of the corner voxel that Slicer and NRRD use.
#pragma once

#include <array>
#include <cstdint>

#include "core/image.hpp"

namespace igtb {

/// Row-major 4x4 IJK->RAS in the corner-voxel convention (what Slicer and
/// NRRD use): columns scaled by spacing, translation = centre of voxel (0,0,0).
using Matrix4d = std::array<double, 16>;

/// Wire matrix from a corner-convention IJK->RAS and the dims:
/// centre = M * ((dims - 1) / 2).
std::array<float, 12> wire_matrix_from_ijk_to_ras(const Matrix4d& ijk_to_ras,
                                                  const std::array<std::uint16_t, 3>& dims);
/// The inverse, as Slicer's OpenIGTLinkIF computes it.
Matrix4d ijk_to_ras_from_wire(const std::array<float, 12>& matrix, const std::array<std::uint16_t, 3>& dims);
/// Column norms of the wire matrix.
std::array<double, 3> image_spacing(const ImageInfo& info);

}  // namespace igtb
