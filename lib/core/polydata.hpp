// A plain polygonal data set: what a POLYDATA message carries and a legacy
// .vtk file stores. Points are in the receiver's physical frame (RAS for Slicer).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace igtb {

struct PolyData {
  struct Attribute {
    std::string name;
    bool per_cell = false;      ///< cell data (one tuple per cell) or point data
    std::uint32_t components = 1;  ///< 1 = scalar, 3 = vector/normal, ...
    std::vector<float> values;  ///< tuples * components, tuple-major
  };

  std::vector<std::array<float, 3>> points;
  std::vector<std::vector<std::uint32_t>> vertices;
  std::vector<std::vector<std::uint32_t>> lines;      ///< polylines; closed = first index repeated last
  std::vector<std::vector<std::uint32_t>> polygons;
  std::vector<Attribute> attributes;

  std::size_t cell_count() const { return vertices.size() + lines.size() + polygons.size(); }
};

}  // namespace igtb
