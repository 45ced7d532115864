#include "transport/crc64.hpp"

#include <array>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define IGTB_CRC_CLMUL 1
#endif

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

/// Slice-by-8: the portable path and the tail of the folding path.
std::uint64_t crc64_table(const std::uint8_t* p, std::size_t size, std::uint64_t crc) {
  const auto& t = tables().t;
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

#ifdef IGTB_CRC_CLMUL
/// x^n mod P (a polynomial of degree < 64).
constexpr std::uint64_t xpow_mod(unsigned n) {
  std::uint64_t r = 1;  // x^0
  for (unsigned i = 0; i < n; ++i) r = (r & (1ULL << 63)) ? (r << 1) ^ kPoly : (r << 1);
  return r;
}

bool cpu_has_clmul() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_PCLMUL) && (c & bit_SSSE3);
}

// Folding with carry-less multiplication. The message is a polynomial, first
// bit highest. Four 128-bit accumulators X_i each hold a polynomial congruent
// (mod P) to their share of what has been read; appending 64 bytes maps
// X = H x^64 + L to H (x^(512+64) mod P) + L (x^512 mod P) + next 16 bytes.
// At the end the accumulators are folded into one, whose 16 bytes (big-endian)
// stand for the whole prefix: the table finishes them and the tail, since the
// CRC only depends on the message modulo P.
#define IGTB_CLMUL_TARGET __attribute__((target("pclmul,ssse3")))

IGTB_CLMUL_TARGET inline __m128i load_be(const std::uint8_t* q, __m128i swap) {
  return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), swap);
}

/// x = H x^64 + L  ->  H * k.low + L * k.high + next
IGTB_CLMUL_TARGET inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x01);
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x10);
  return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

IGTB_CLMUL_TARGET std::uint64_t crc64_clmul(const std::uint8_t* p, std::size_t size, std::uint64_t crc) {
  if (size < 128) return crc64_table(p, size, crc);
  const __m128i swap = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  auto load = [swap](const std::uint8_t* q) { return load_be(q, swap); };
  // Constants: low qword = x^(d+64) mod P for H, high qword = x^d mod P for L.
  static const __m128i k512 = _mm_set_epi64x(static_cast<long long>(xpow_mod(512)),
                                             static_cast<long long>(xpow_mod(576)));
  static const __m128i k128 = _mm_set_epi64x(static_cast<long long>(xpow_mod(128)),
                                             static_cast<long long>(xpow_mod(192)));
  // The incoming CRC acts as 64 bits xored into the first 8 bytes.
  __m128i x0 = _mm_xor_si128(load(p), _mm_set_epi64x(static_cast<long long>(crc), 0));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  size -= 64;
  while (size >= 64) {
    x0 = fold(x0, k512, load(p));
    x1 = fold(x1, k512, load(p + 16));
    x2 = fold(x2, k512, load(p + 32));
    x3 = fold(x3, k512, load(p + 48));
    p += 64;
    size -= 64;
  }
  __m128i x = fold(x0, k128, x1);
  x = fold(x, k128, x2);
  x = fold(x, k128, x3);
  alignas(16) std::uint8_t bytes[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(bytes), _mm_shuffle_epi8(x, swap));
  return crc64_table(p, size, crc64_table(bytes, 16, 0));
}
#endif

}  // namespace

std::uint64_t crc64(const void* data, std::size_t size, std::uint64_t crc) {
  const auto* p = static_cast<const std::uint8_t*>(data);
#ifdef IGTB_CRC_CLMUL
  static const bool clmul = cpu_has_clmul();
  if (clmul) return crc64_clmul(p, size, crc);
#endif
  return crc64_table(p, size, crc);
}

}  // namespace igtb
