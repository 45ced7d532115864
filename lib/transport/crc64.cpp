#include "transport/crc64.hpp"

#include <array>

namespace igtb {
namespace {

constexpr std::uint64_t kPoly = 0x42F0E1EBA9EA3693ULL;

struct Tables {
  std::array<std::array<std::uint64_t, 256>, 8> t{};
  Tables() {
    for (std::uint64_t b = 0; b < 256; ++b) {
      std::uint64_t c = b << 56;
      for (int k = 0; k < 8; ++k) c = (c & (1ULL << 63)) ? (c << 1) ^ kPoly : (c << 1);
      t[0][b] = c;
    }
    // t[k][b]: the CRC contribution of byte b followed by k zero bytes.
    for (int k = 1; k < 8; ++k)
      for (int b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] << 8) ^ t[0][t[k - 1][b] >> 56];
  }
};

const Tables& tables() {
  static const Tables tables;
  return tables;
}

}  // namespace

std::uint64_t crc64(const void* data, std::size_t size, std::uint64_t crc) {
  const auto& t = tables().t;
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (size >= 8) {
    std::uint64_t x = crc;
    for (int i = 0; i < 8; ++i) x ^= static_cast<std::uint64_t>(p[i]) << (56 - 8 * i);
    crc = t[7][x >> 56] ^ t[6][(x >> 48) & 0xff] ^ t[5][(x >> 40) & 0xff] ^ t[4][(x >> 32) & 0xff] ^
          t[3][(x >> 24) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[0][x & 0xff];
    p += 8;
    size -= 8;
  }
  while (size--) crc = t[0][(crc >> 56) ^ *p++] ^ (crc << 8);
  return crc;
}

}  // namespace igtb
