#include "io/sequence.hpp"

#include <filesystem>

#include "io/metaimage_reader.hpp"
#include "io/nrrd_reader.hpp"

namespace igtb::io {
namespace {

std::string error_message(const std::string& path, const std::string& field, const std::string& detail) {
  return field.empty() ? path + ": " + detail : path + ": " + field + ": " + detail;
}

bool has_suffix(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    const char c = s[s.size() - suffix.size() + i];
    if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != suffix[i]) return false;
  }
  return true;
}

}  // namespace

std::size_t Sequence::frame_bytes() const {
  return std::size_t{frame_dims[0]} * frame_dims[1] * frame_dims[2] * components * scalar_size(scalar);
}

const std::uint8_t* Sequence::frame_pixels(std::size_t i) const {
  if (i >= frames.size())
    throw std::out_of_range(path + ": frame " + std::to_string(i) + " of " + std::to_string(frames.size()));
  return pixels.data() + i * frame_bytes();
}

SequenceError::SequenceError(const std::string& path, const std::string& field, const std::string& detail)
    : std::runtime_error(error_message(path, field, detail)), path_(path), field_(field) {}

Sequence read_sequence(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw SequenceError(path, "", std::filesystem::exists(path, ec) ? "not a regular file" : "no such file");
  }
  if (has_suffix(path, ".mha") || has_suffix(path, ".mhd")) return read_metaimage(path);
  if (has_suffix(path, ".nrrd")) return read_nrrd(path);
  throw SequenceError(path, "", "unknown sequence file extension (expected .mha, .mhd or .nrrd)");
}

}  // namespace igtb::io
