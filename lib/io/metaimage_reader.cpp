#include "io/metaimage_reader.hpp"

#include <fstream>
#include <optional>
#include <utility>

#include "io/pixel_data.hpp"
#include "io/text_fields.hpp"

namespace igtb::io {
namespace {

using detail::HeaderFields;

std::optional<ScalarType> element_type(const std::string& name) {
  static const std::pair<const char*, ScalarType> kTypes[] = {
      {"MET_CHAR", ScalarType::Int8},   {"MET_UCHAR", ScalarType::UInt8},
      {"MET_SHORT", ScalarType::Int16}, {"MET_USHORT", ScalarType::UInt16},
      {"MET_INT", ScalarType::Int32},   {"MET_UINT", ScalarType::UInt32},
      {"MET_FLOAT", ScalarType::Float32}, {"MET_DOUBLE", ScalarType::Float64},
  };
  for (const auto& [n, t] : kTypes)
    if (name == n) return t;
  return std::nullopt;
}

/// Reads header lines up to ElementDataFile; returns the data offset (LOCAL:
/// right after the header) and sets block.data_path for a detached data file
/// (a plain file name next to the header, as .mhd + .raw/.zraw pairs have).
std::uint64_t read_header(std::ifstream& in, HeaderFields& header, const std::string& path, detail::PixelBlock& block) {
  std::string line;
  for (std::size_t number = 1; detail::read_line(in, line); ++number) {
    if (detail::trim(line).empty()) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos)
      header.fail("header", "line " + std::to_string(number) + " is not 'Key = Value': " + detail::quoted(line));
    const std::string key(detail::trim(std::string_view(line).substr(0, eq)));
    header.add(key, std::string_view(line).substr(eq + 1));
    if (key == "ElementDataFile") {
      const std::string& value = header.require(key);
      if (value == "LOCAL") return static_cast<std::uint64_t>(in.tellg());
      if (value.find('/') != std::string::npos || value == "." || value == ".." || value.find(' ') != std::string::npos ||
          value == "LIST")
        header.fail(key, "data file " + detail::quoted(value) +
                             " is not supported (LOCAL or one file name in the header's directory)");
      const std::size_t slash = path.find_last_of('/');
      block.data_path = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + value;
      return 0;
    }
  }
  if (header.empty())  // an empty file (a recording stopped before its first frame, a failed copy)
    header.fail("header", "the file is empty: no MetaImage header, no frames");
  header.fail("ElementDataFile", "missing: the header has no 'ElementDataFile' line");
}

const std::string* first_of(const HeaderFields& h, std::initializer_list<const char*> keys, std::string& found) {
  for (const char* k : keys) {
    if (const std::string* v = h.find(k)) {
      found = k;
      return v;
    }
  }
  return nullptr;
}

void read_geometry(const HeaderFields& h, std::uint32_t ndims, Sequence& seq) {
  const std::size_t n = ndims < 3 ? ndims : 3;
  std::string key;
  if (const std::string* v = first_of(h, {"ElementSpacing", "ElementSize"}, key)) {
    const auto s = h.doubles(key, *v, ndims);
    for (std::size_t a = 0; a < n; ++a) seq.spacing[a] = s[a];
  }
  if (const std::string* v = first_of(h, {"Offset", "Position", "Origin"}, key)) {
    const auto o = h.doubles(key, *v, ndims);
    for (std::size_t a = 0; a < n; ++a) seq.origin[a] = o[a];
  }
  if (const std::string* v = first_of(h, {"TransformMatrix", "Rotation", "Orientation"}, key)) {
    const auto m = h.doubles(key, *v, std::size_t{ndims} * ndims);
    for (std::size_t axis = 0; axis < n; ++axis)
      for (std::size_t row = 0; row < n; ++row) seq.direction[row * 3 + axis] = m[axis * ndims + row];
  }
}

}  // namespace

Sequence read_metaimage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SequenceError(path, "", "cannot open the file");
  HeaderFields h(path);
  detail::PixelBlock block;
  block.offset = read_header(in, h, path, block);
  in.close();

  Sequence seq;
  seq.path = path;
  const std::uint32_t ndims = h.positive("NDims", h.require("NDims"));
  if (ndims < 2 || ndims > 4) h.fail("NDims", "expected 2, 3 or 4, got " + std::to_string(ndims));
  const auto dims = h.dims("DimSize", h.require("DimSize"), ndims);
  const std::uint32_t frame_count = ndims == 2 ? 1 : dims[ndims - 1];
  seq.frame_dims = {dims[0], dims[1], ndims == 4 ? dims[2] : 1};

  const std::string& type = h.require("ElementType");
  const auto scalar = element_type(type);
  if (!scalar) h.fail("ElementType", "unsupported element type " + detail::quoted(type));
  seq.scalar = *scalar;
  if (const std::string* v = h.find("ElementNumberOfChannels"))
    seq.components = h.positive("ElementNumberOfChannels", *v);
  if (const std::string* v = h.find("BinaryData"); v && !h.boolean("BinaryData", *v))
    h.fail("BinaryData", "ASCII pixel data is not supported");
  read_geometry(h, ndims, seq);

  std::string msb_key;
  const std::string* msb = first_of(h, {"BinaryDataByteOrderMSB", "ElementByteOrderMSB"}, msb_key);
  block.swap = (msb && h.boolean(msb_key, *msb)) != detail::host_is_big_endian();
  if (const std::string* v = h.find("CompressedData")) block.deflated = h.boolean("CompressedData", *v);
  if (const std::string* v = h.find("CompressedDataSize"); v && block.deflated) {
    std::uint64_t size = 0;
    if (!detail::parse_u64(*v, size))
      h.fail("CompressedDataSize", "expected a byte count, got " + detail::quoted(*v));
    block.stored_size = size;
  }
  block.size_field = "DimSize";
  block.encoding_field = "CompressedData";
  block.stored_size_field = "CompressedDataSize";
  detail::finish_sequence(seq, h, block, frame_count, "DimSize");
  return seq;
}

}  // namespace igtb::io
