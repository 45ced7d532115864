// Pixel scalar types, numbered as OpenIGTLink's IMAGE message numbers them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace igtb {

enum class ScalarType : std::uint8_t {
  Int8 = 2,
  UInt8 = 3,
  Int16 = 4,
  UInt16 = 5,
  Int32 = 6,
  UInt32 = 7,
  Float32 = 10,
  Float64 = 11,
};

/// Bytes per component; 0 for an unknown code.
constexpr std::size_t scalar_size(ScalarType t) {
  switch (t) {
    case ScalarType::Int8:
    case ScalarType::UInt8: return 1;
    case ScalarType::Int16:
    case ScalarType::UInt16: return 2;
    case ScalarType::Int32:
    case ScalarType::UInt32:
    case ScalarType::Float32: return 4;
    case ScalarType::Float64: return 8;
  }
  return 0;
}

/// The wire code as a ScalarType, or nothing when the code is not one.
constexpr std::optional<ScalarType> scalar_type_from_code(std::uint8_t code) {
  switch (code) {
    case 2: case 3: case 4: case 5: case 6: case 7: case 10: case 11:
      return static_cast<ScalarType>(code);
    default: return std::nullopt;
  }
}

/// Lower-case C-like name ("uint8", "int16", "float32", ...).
constexpr std::string_view scalar_name(ScalarType t) {
  switch (t) {
    case ScalarType::Int8: return "int8";
    case ScalarType::UInt8: return "uint8";
    case ScalarType::Int16: return "int16";
    case ScalarType::UInt16: return "uint16";
    case ScalarType::Int32: return "int32";
    case ScalarType::UInt32: return "uint32";
    case ScalarType::Float32: return "float32";
    case ScalarType::Float64: return "float64";
  }
  return "unknown";
}

}  // namespace igtb
