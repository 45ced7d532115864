#include "io/vtk_writer.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <vector>

namespace igtb::io {
namespace {

using Cells = std::vector<std::vector<std::uint32_t>>;
using Attribute = PolyData::Attribute;

/// VTK legacy names may not contain whitespace; the reader decodes %XX.
std::string vtk_name(const std::string& name, std::size_t index) {
  if (name.empty()) return "attribute" + std::to_string(index);
  std::string out;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7f || c == '%')
      out += fmt::format("%{:02X}", u);
    else
      out += c;
  }
  return out;
}

void write_cells(std::string& s, const char* keyword, const Cells& cells, std::size_t points,
                 const std::string& path) {
  if (cells.empty()) return;
  std::size_t size = 0;
  for (const auto& c : cells) size += c.size() + 1;
  s += fmt::format("{} {} {}\n", keyword, cells.size(), size);
  for (const auto& c : cells) {
    s += std::to_string(c.size());
    for (const std::uint32_t i : c) {
      if (i >= points)
        throw std::invalid_argument(fmt::format("{}: {} cell index {} >= {} points", path, keyword, i, points));
      s += ' ' + std::to_string(i);
    }
    s += '\n';
  }
}

void write_values(std::string& s, const Attribute& a) {
  for (std::size_t t = 0; t < a.values.size(); t += a.components) {
    for (std::size_t c = 0; c < a.components; ++c) {
      if (c > 0) s += ' ';
      s += fmt::format("{}", a.values[t + c]);
    }
    s += '\n';
  }
}

/// CELL_DATA or POINT_DATA with the attributes that belong there.
void write_attributes(std::string& s, const PolyData& pd, bool per_cell, const std::string& path) {
  const std::size_t tuples = per_cell ? pd.cell_count() : pd.points.size();
  std::vector<std::size_t> scalars, fields;
  for (std::size_t i = 0; i < pd.attributes.size(); ++i) {
    const Attribute& a = pd.attributes[i];
    if (a.per_cell != per_cell) continue;
    if (a.components == 0 || a.values.size() != tuples * a.components)
      throw std::invalid_argument(fmt::format("{}: attribute '{}' has {} values, expected {} x {}", path, a.name,
                                              a.values.size(), tuples, a.components));
    (a.components <= 4 ? scalars : fields).push_back(i);
  }
  if (tuples == 0 || (scalars.empty() && fields.empty())) return;
  s += fmt::format("{} {}\n", per_cell ? "CELL_DATA" : "POINT_DATA", tuples);
  for (const std::size_t i : scalars) {
    const Attribute& a = pd.attributes[i];
    s += fmt::format("SCALARS {} float {}\nLOOKUP_TABLE default\n", vtk_name(a.name, i), a.components);
    write_values(s, a);
  }
  if (fields.empty()) return;
  s += fmt::format("FIELD FieldData {}\n", fields.size());
  for (const std::size_t i : fields) {
    const Attribute& a = pd.attributes[i];
    s += fmt::format("{} {} {} float\n", vtk_name(a.name, i), a.components, tuples);
    write_values(s, a);
  }
}

}  // namespace

void write_vtk_polydata(const std::string& path, const PolyData& pd) {
  std::string s = "# vtk DataFile Version 3.0\nigtbridge polydata\nASCII\nDATASET POLYDATA\n";
  s += fmt::format("POINTS {} float\n", pd.points.size());
  for (const auto& p : pd.points) s += fmt::format("{} {} {}\n", p[0], p[1], p[2]);
  write_cells(s, "VERTICES", pd.vertices, pd.points.size(), path);
  write_cells(s, "LINES", pd.lines, pd.points.size(), path);
  write_cells(s, "POLYGONS", pd.polygons, pd.points.size(), path);
  write_attributes(s, pd, true, path);
  write_attributes(s, pd, false, path);

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

}  // namespace igtb::io
