#include "io/sequence_writer.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace igtb::io {
namespace {

const char* element_type(ScalarType t) {
  switch (t) {
    case ScalarType::Int8: return "MET_CHAR";
    case ScalarType::UInt8: return "MET_UCHAR";
    case ScalarType::Int16: return "MET_SHORT";
    case ScalarType::UInt16: return "MET_USHORT";
    case ScalarType::Int32: return "MET_INT";
    case ScalarType::UInt32: return "MET_UINT";
    case ScalarType::Float32: return "MET_FLOAT";
    case ScalarType::Float64: return "MET_DOUBLE";
  }
  return "MET_UCHAR";
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string frame_key(std::size_t i, const std::string& name) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "Seq_Frame%04zu_", i);
  return buf + name;
}

/// A field value must stay on its line.
void check_value(const std::string& path, const std::string& key, const std::string& value) {
  if (value.find_first_of("\r\n") != std::string::npos)
    throw SequenceError(path, key, "a value with a line break cannot be written");
}

}  // namespace

std::string metaimage_sequence_header(const Sequence& seq, std::size_t frames, bool compress,
                                      std::uint64_t compressed_size, const std::string& element_data_file) {
  const std::string& path = seq.path;
  if (frames > seq.frames.size())
    throw SequenceError(path, "DimSize", std::to_string(frames) + " frames but metadata for " +
                                             std::to_string(seq.frames.size()));
  if (element_data_file.empty() || element_data_file.find_first_of("\r\n") != std::string::npos)
    throw SequenceError(path, "ElementDataFile", "not a file name");
  const bool volume = seq.frame_dims[2] > 1;
  const int ndims = volume ? 4 : 3;
  std::ostringstream h;
  h << "ObjectType = Image\nNDims = " << ndims << "\nAnatomicalOrientation = RAI\nBinaryData = True\n"
    << "BinaryDataByteOrderMSB = False\nCenterOfRotation = 0 0 0" << (volume ? " 0" : "") << "\n"
    << "CompressedData = " << (compress ? "True" : "False") << "\n";
  if (compress) h << "CompressedDataSize = " << compressed_size << "\n";
  h << "DimSize = " << seq.frame_dims[0] << " " << seq.frame_dims[1] << " ";
  if (volume) h << seq.frame_dims[2] << " ";
  h << frames << "\n";
  if (seq.components > 1) h << "ElementNumberOfChannels = " << seq.components << "\n";
  h << "ElementSpacing = " << num(seq.spacing[0]) << " " << num(seq.spacing[1]) << " "
    << (volume ? num(seq.spacing[2]) + " 1" : std::string("1")) << "\n";
  h << "ElementType = " << element_type(seq.scalar) << "\n";
  h << "Offset = " << num(seq.origin[0]) << " " << num(seq.origin[1]) << " " << num(seq.origin[2])
    << (volume ? " 0" : "") << "\n";
  // Direction columns (the unit i, j, k axes), written axis by axis as MetaImage does.
  h << "TransformMatrix =";
  for (int axis = 0; axis < ndims; ++axis)
    for (int row = 0; row < ndims; ++row) {
      const double v = axis < 3 && row < 3 ? seq.direction[std::size_t(row * 3 + axis)] : (axis == row ? 1.0 : 0.0);
      h << " " << num(v);
    }
  h << "\n";
  static const std::set<std::string> kWritten = {
      "ObjectType", "NDims", "AnatomicalOrientation", "BinaryData", "BinaryDataByteOrderMSB", "ElementByteOrderMSB",
      "CenterOfRotation", "CompressedData", "CompressedDataSize", "DimSize", "ElementNumberOfChannels",
      "ElementSpacing", "ElementSize", "ElementType", "Offset", "Position", "Origin", "TransformMatrix", "Rotation",
      "Orientation", "ElementDataFile"};
  for (const auto& [k, v] : seq.fields) {
    if (kWritten.count(k)) continue;
    check_value(path, k, v);
    h << k << " = " << v << "\n";
  }
  for (std::size_t i = 0; i < frames; ++i) {
    const SequenceFrame& f = seq.frames[i];
    for (const auto& t : f.transforms) {
      h << frame_key(i, t.name + "Transform") << " =";
      for (double v : t.matrix) h << " " << num(v);
      h << "\n";
      check_value(path, t.name, t.status);
      h << frame_key(i, t.name + "TransformStatus") << " = " << t.status << "\n";
    }
    for (const auto& [k, v] : f.fields) {
      check_value(path, k, v);
      h << frame_key(i, k) << " = " << v << "\n";
    }
    h << frame_key(i, "Timestamp") << " = " << num(f.timestamp) << "\n";
    h << frame_key(i, "ImageStatus") << " = " << (f.image_valid ? "OK" : "INVALID") << "\n";
  }
  h << "ElementDataFile = " << element_data_file << "\n";
  return h.str();
}

void write_metaimage_sequence(const std::string& path, const Sequence& seq, bool compress) {
  const std::size_t frames = seq.frames.size();
  if (frames == 0) throw SequenceError(path, "DimSize", "a sequence needs at least one frame");
  if (seq.pixels.size() != seq.frame_bytes() * frames)
    throw SequenceError(path, "DimSize",
                        std::to_string(seq.pixels.size()) + " pixel bytes for " + std::to_string(frames) +
                            " frames of " + std::to_string(seq.frame_bytes()) + " bytes");
  std::string data;
  if (compress) {
    uLongf size = compressBound(static_cast<uLong>(seq.pixels.size()));
    data.resize(size);
    if (compress2(reinterpret_cast<Bytef*>(data.data()), &size, seq.pixels.data(),
                  static_cast<uLong>(seq.pixels.size()), Z_DEFAULT_COMPRESSION) != Z_OK)
      throw SequenceError(path, "CompressedData", "zlib compression failed");
    data.resize(size);
  }
  Sequence named = seq;  // header errors name the path written
  named.path = path;
  named.pixels.clear();
  const std::string header = metaimage_sequence_header(named, frames, compress, data.size(), "LOCAL");

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw SequenceError(path, "", std::string("cannot open for writing: ") + std::strerror(errno));
  out.write(header.data(), std::streamsize(header.size()));
  if (compress)
    out.write(data.data(), std::streamsize(data.size()));
  else
    out.write(reinterpret_cast<const char*>(seq.pixels.data()), std::streamsize(seq.pixels.size()));
  out.close();
  if (!out) throw SequenceError(path, "", std::string("write failed: ") + std::strerror(errno));
}

}  // namespace igtb::io
