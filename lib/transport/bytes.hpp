// Big-endian (network order) field access for the wire format; the byte
// buffers themselves are content (core/bytes.hpp).
#pragma once

#include <cstdint>
#include <cstring>

#include "core/bytes.hpp"

namespace igtb {

inline void put_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put_be32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
inline void put_be64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
inline std::uint16_t get_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t get_be32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | p[i];
  return v;
}
inline std::uint64_t get_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
inline void put_be_f32(std::uint8_t* p, float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  put_be32(p, u);
}
inline float get_be_f32(const std::uint8_t* p) {
  std::uint32_t u = get_be32(p);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace igtb
