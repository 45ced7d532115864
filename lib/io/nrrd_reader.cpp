#include "io/nrrd_reader.hpp"

#include <cmath>
#include <fstream>
#include <optional>
#include <utility>

#include "io/pixel_data.hpp"
#include "io/text_fields.hpp"

namespace igtb::io {
namespace {

using detail::HeaderFields;
using Vec = std::vector<double>;

std::optional<ScalarType> nrrd_type(const std::string& name) {
  static const std::pair<const char*, ScalarType> kTypes[] = {
      {"int8", ScalarType::Int8},          {"int8_t", ScalarType::Int8},
      {"signed char", ScalarType::Int8},   {"uint8", ScalarType::UInt8},
      {"uint8_t", ScalarType::UInt8},      {"uchar", ScalarType::UInt8},
      {"unsigned char", ScalarType::UInt8}, {"int16", ScalarType::Int16},
      {"int16_t", ScalarType::Int16},      {"short", ScalarType::Int16},
      {"short int", ScalarType::Int16},    {"signed short", ScalarType::Int16},
      {"signed short int", ScalarType::Int16}, {"uint16", ScalarType::UInt16},
      {"uint16_t", ScalarType::UInt16},    {"ushort", ScalarType::UInt16},
      {"unsigned short", ScalarType::UInt16}, {"unsigned short int", ScalarType::UInt16},
      {"int32", ScalarType::Int32},        {"int32_t", ScalarType::Int32},
      {"int", ScalarType::Int32},          {"signed int", ScalarType::Int32},
      {"uint32", ScalarType::UInt32},      {"uint32_t", ScalarType::UInt32},
      {"uint", ScalarType::UInt32},        {"unsigned int", ScalarType::UInt32},
      {"float", ScalarType::Float32},      {"double", ScalarType::Float64},
  };
  for (const auto& [n, t] : kTypes)
    if (name == n) return t;
  return std::nullopt;
}

bool is_component_kind(const std::string& kind) {
  static const char* const kKinds[] = {
      "vector", "covariant-vector", "normal", "point", "scalar", "complex", "2-vector", "3-vector",
      "4-vector", "3-color", "RGB-color", "HSV-color", "XYZ-color", "4-color", "RGBA-color",
      "3-gradient", "3-normal", "quaternion"};
  for (const char* k : kKinds)
    if (kind == k) return true;
  return false;
}

/// Reads "(x,y,z)" groups and "none" words; a none is an empty vector.
std::vector<Vec> parse_vectors(const HeaderFields& h, const std::string& key, std::string_view value) {
  std::vector<Vec> out;
  std::string_view rest = detail::trim(value);
  while (!rest.empty()) {
    if (rest.substr(0, 4) == "none") {
      out.emplace_back();
      rest = detail::trim(rest.substr(4));
      continue;
    }
    const std::size_t close = rest.find(')');
    if (rest.front() != '(' || close == std::string_view::npos)
      h.fail(key, "expected (x,y,...) vectors or none, got " + detail::quoted(value));
    std::string inner(rest.substr(1, close - 1));
    for (char& c : inner) c = c == ',' ? ' ' : c;
    out.push_back(h.doubles(key, inner, detail::split_ws(inner).size()));
    if (out.back().empty()) h.fail(key, "empty vector in " + detail::quoted(value));
    rest = detail::trim(rest.substr(close + 1));
  }
  return out;
}

void reject_detached(const HeaderFields& h) {
  for (const char* detached : {"data file", "datafile"})
    if (h.find(detached)) h.fail(detached, "detached data files are not supported");
}

/// Reads the magic line and header fields; returns the data offset.
std::uint64_t read_header(std::ifstream& in, HeaderFields& h) {
  std::string line;
  if (!detail::read_line(in, line)) h.fail("header", "the file is empty: no NRRD header, no frames");
  if (line.size() != 8 || line.compare(0, 7, "NRRD000") != 0)
    h.fail("magic", "not a NRRD file (expected NRRD000X, got " + detail::quoted(line.substr(0, 16)) + ")");
  while (detail::read_line(in, line)) {
    if (line.empty()) return static_cast<std::uint64_t>(in.tellg());
    if (line.front() == '#') continue;
    const std::string_view l(line);
    if (const std::size_t kv = l.find(":="); kv != std::string_view::npos) {
      h.add(l.substr(0, kv), detail::unescape_nrrd_value(l.substr(kv + 2)));
    } else if (const std::size_t colon = l.find(": "); colon != std::string_view::npos) {
      h.add(l.substr(0, colon), l.substr(colon + 2));
    } else {
      h.fail("header", "line is neither 'field: value' nor 'key:=value': " + detail::quoted(line));
    }
  }
  reject_detached(h);
  h.fail("header", "no blank line before the data (truncated header?)");
}

struct Axes {
  std::optional<std::size_t> component;  ///< axis of the components
  std::optional<std::size_t> frame;      ///< axis that counts frames
  std::vector<std::size_t> spatial;      ///< the frame's i, j, k axes
};

Axes classify_axes(const HeaderFields& h, std::size_t dim, const std::vector<Vec>& dirs, bool have_dirs) {
  std::vector<std::string> kinds(dim);
  if (const std::string* v = h.find("kinds")) {
    const auto tokens = detail::split_ws(*v);
    if (tokens.size() != dim)
      h.fail("kinds", "expected " + std::to_string(dim) + " kinds, got " + detail::quoted(*v));
    for (std::size_t a = 0; a < dim; ++a) kinds[a] = std::string(tokens[a]);
  }
  const auto unmarked_none = [&](std::size_t a) { return kinds[a].empty() && have_dirs && dirs[a].empty(); };
  Axes axes;
  std::size_t first = 0;
  std::size_t last = dim;
  if (dim > 1 && (is_component_kind(kinds[0]) || unmarked_none(0))) axes.component = first++;
  if (last - first > 1 && (kinds[last - 1] == "list" || unmarked_none(last - 1))) axes.frame = --last;
  for (std::size_t a = first; a < last; ++a) axes.spatial.push_back(a);
  if (axes.spatial.empty() || axes.spatial.size() > 3)
    h.fail("dimension", std::to_string(axes.spatial.size()) + " image axes; 1 to 3 are supported");
  return axes;
}

void fill_geometry(const HeaderFields& h, const Axes& axes, const std::vector<Vec>& dirs, Sequence& seq) {
  const std::size_t n = axes.spatial.size();
  std::array<Vec, 3> cols{Vec{1, 0, 0}, Vec{0, 1, 0}, Vec{0, 0, 1}};
  if (!dirs.empty()) {
    for (std::size_t s = 0; s < n; ++s) {
      Vec v = dirs[axes.spatial[s]];
      if (v.empty() || v.size() > 3)
        h.fail("space directions", "image axis " + std::to_string(axes.spatial[s]) + " needs a 1 to 3D vector");
      v.resize(3, 0.0);
      const double norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      if (!(norm > 0) || !std::isfinite(norm)) h.fail("space directions", "zero or invalid vector");
      seq.spacing[s] = norm;
      for (double& c : v) c /= norm;
      cols[s] = v;
    }
    if (n == 2) {  // k = i x j, so that a 2D frame has a right-handed normal
      const Vec &a = cols[0], &b = cols[1];
      cols[2] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }
  } else if (const std::string* v = h.find("spacings")) {
    const auto tokens = detail::split_ws(*v);
    for (std::size_t s = 0; s < n && axes.spatial[s] < tokens.size(); ++s) {
      double d = 0;
      if (detail::parse_double(tokens[axes.spatial[s]], d) && std::isfinite(d) && d > 0) seq.spacing[s] = d;
    }
  }
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c) seq.direction[r * 3 + c] = cols[c][r];
  if (const std::string* v = h.find("space origin")) {
    const auto o = parse_vectors(h, "space origin", *v);
    if (o.size() != 1 || o[0].size() > 3) h.fail("space origin", "expected one vector, got " + detail::quoted(*v));
    for (std::size_t a = 0; a < o[0].size(); ++a) seq.origin[a] = o[0][a];
  }
}

}  // namespace

Sequence read_nrrd(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SequenceError(path, "", "cannot open the file");
  HeaderFields h(path);
  detail::PixelBlock block;
  block.offset = read_header(in, h);
  in.close();
  reject_detached(h);

  Sequence seq;
  seq.path = path;
  const std::string& type = h.require("type");
  const auto scalar = nrrd_type(type);
  if (!scalar) h.fail("type", "unsupported type " + detail::quoted(type));
  seq.scalar = *scalar;
  const std::uint32_t dim = h.positive("dimension", h.require("dimension"));
  const auto sizes = h.dims("sizes", h.require("sizes"), dim);

  std::vector<Vec> dirs;
  if (const std::string* v = h.find("space directions")) {
    dirs = parse_vectors(h, "space directions", *v);
    if (dirs.size() != dim)
      h.fail("space directions", "expected " + std::to_string(dim) + " entries, got " + detail::quoted(*v));
  }
  const Axes axes = classify_axes(h, dim, dirs, !dirs.empty());
  if (axes.component) seq.components = sizes[*axes.component];
  for (std::size_t s = 0; s < axes.spatial.size(); ++s) seq.frame_dims[s] = sizes[axes.spatial[s]];
  const std::uint32_t frame_count = axes.frame ? sizes[*axes.frame] : 1;
  fill_geometry(h, axes, dirs, seq);

  for (const char* skip : {"byte skip", "line skip", "byteskip", "lineskip"})
    if (const std::string* v = h.find(skip); v && *v != "0") h.fail(skip, "only 0 is supported");
  const std::string encoding = h.find("encoding") ? h.require("encoding") : "raw";
  if (encoding == "gz" || encoding == "gzip")
    block.deflated = true;
  else if (encoding != "raw")
    h.fail("encoding", "unsupported encoding " + detail::quoted(encoding) + " (raw or gzip only)");
  const std::string* endian = h.find("endian");
  if (endian && *endian != "little" && *endian != "big")
    h.fail("endian", "expected little or big, got " + detail::quoted(*endian));
  block.swap = (endian && *endian == "big") != detail::host_is_big_endian();
  block.size_field = "sizes";
  block.encoding_field = "encoding";
  detail::finish_sequence(seq, h, block, frame_count, "sizes");
  return seq;
}

}  // namespace igtb::io
