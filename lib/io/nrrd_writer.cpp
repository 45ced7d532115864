#include "io/nrrd_writer.hpp"

#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <stdexcept>

#include "io/text_fields.hpp"

namespace igtb::io {
namespace {

#if defined(__BYTE_ORDER__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "write_nrrd writes host-order data as little-endian");
#endif

std::string nrrd_type_name(ScalarType t) {
  // NRRD spells the floating-point types "float" and "double"; the rest as we do.
  if (t == ScalarType::Float32) return "float";
  if (t == ScalarType::Float64) return "double";
  return std::string(scalar_name(t));
}

std::string vec3(const std::array<double, 3>& v) { return fmt::format("({},{},{})", v[0], v[1], v[2]); }

std::size_t checked_data_bytes(const std::string& path, const NrrdImage& img) {
  const std::size_t scalar = scalar_size(img.scalar);
  if (scalar == 0) throw std::invalid_argument(path + ": write_nrrd: unknown scalar type");
  if (img.data == nullptr) throw std::invalid_argument(path + ": write_nrrd: no pixel data");
  std::size_t bytes = scalar;
  for (const std::uint32_t n : {img.dims[0], img.dims[1], img.dims[2], img.components}) {
    if (n == 0 || bytes > std::numeric_limits<std::size_t>::max() / n)
      throw std::invalid_argument(path + ": write_nrrd: zero or too large dimensions");
    bytes *= n;
  }
  return bytes;
}

void check_key(const std::string& path, const std::string& key) {
  if (key.empty() || key.find(":=") != std::string::npos || key.find('\n') != std::string::npos)
    throw std::invalid_argument(path + ": write_nrrd: invalid key " + detail::quoted(key));
}

}  // namespace

void write_nrrd(const std::string& path, const NrrdImage& img) {
  const std::size_t bytes = checked_data_bytes(path, img);
  for (const auto& kv : img.key_values) check_key(path, kv.first);
  const bool vector = img.components > 1;

  std::string header = "NRRD0004\n# Written by igtbridge\n";
  header += "type: " + nrrd_type_name(img.scalar) + "\n";
  header += fmt::format("dimension: {}\n", vector ? 4 : 3);
  header += "space: right-anterior-superior\n";
  header += "sizes: " + (vector ? std::to_string(img.components) + " " : std::string()) +
            fmt::format("{} {} {}\n", img.dims[0], img.dims[1], img.dims[2]);
  header += std::string("space directions: ") + (vector ? "none " : "") + vec3(img.directions[0]) + " " +
            vec3(img.directions[1]) + " " + vec3(img.directions[2]) + "\n";
  header += std::string("kinds: ") + (vector ? "vector " : "") + "domain domain domain\n";
  header += "endian: little\nencoding: raw\n";
  header += "space origin: " + vec3(img.origin) + "\n";
  for (const auto& [key, value] : img.key_values) header += key + ":=" + detail::escape_nrrd_value(value) + "\n";
  header += "\n";

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(img.data), static_cast<std::streamsize>(bytes));
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

}  // namespace igtb::io
