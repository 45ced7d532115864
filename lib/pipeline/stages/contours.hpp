// Contours of a label map, on the host: for each label region a closed
// polyline along the pixel boundary (the cracks between a label pixel and a
// pixel of another value), in the physical frame of the IMAGE it came with.
#pragma once

#include <cstdint>

#include "core/polydata.hpp"
#include "core/geometry.hpp"
#include "core/image.hpp"

namespace igtb {

/// labels: dims[0] x dims[1] bytes, row-major (i fastest), 0 = background.
/// The loop runs along the cracks between label pixels and others; its points
/// are the crack midpoints next to each turn (half-way between a boundary
/// pixel's centre and its outside neighbour's, so staircase corners are cut
/// at 45 degrees), mapped through the IMAGE's IJK->RAS (corner convention,
/// derived from the wire matrix whose translation is the centre): RAS, or
/// whatever frame the IMAGE matrix maps to.
/// One closed line per boundary loop (first point repeated last), its
/// label in the per-cell attribute "label". No region: an empty PolyData.
PolyData label_contours(const std::uint8_t* labels, const ImageInfo& geometry);

}  // namespace igtb
