// PolyData as a legacy ASCII .vtk file (VTK, ParaView and 3D Slicer read it).
#pragma once

#include <string>

#include "core/polydata.hpp"

namespace igtb::io {

/// Writes "# vtk DataFile Version 3.0", DATASET POLYDATA: POINTS float,
/// VERTICES / LINES / POLYGONS, then CELL_DATA and POINT_DATA with one
/// `SCALARS name float n` + `LOOKUP_TABLE default` per attribute of 1 to 4
/// components (a FIELD array for more). Names are %-encoded as VTK expects.
/// Throws std::invalid_argument (naming path) for a cell index out of range or
/// an attribute whose size does not match, std::runtime_error on I/O failure.
void write_vtk_polydata(const std::string& path, const PolyData& pd);

}  // namespace igtb::io
