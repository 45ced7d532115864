#include "../support/catch.hpp"
#include <igtl_util.h>

#include <random>
#include <string>

#include "transport/crc64.hpp"

TEST_CASE("crc64 check value of the OpenIGTLink CRC (ECMA-182)") {
  const std::string s = "123456789";
  CHECK(igtb::crc64(s.data(), s.size()) == 0x6C40DF5F0B497347ULL);
  CHECK(igtb::crc64(s.data(), 0) == 0);
}

TEST_CASE("crc64 equals OpenIGTLink 1.11's crc64 on random data of every length") {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> buf(200003);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  // Below 128 bytes the table runs alone; from 128 on, carry-less folding (where the CPU has it).
  for (std::size_t n : {1u, 2u, 7u, 8u, 9u, 15u, 16u, 17u, 63u, 64u, 127u, 128u, 129u, 191u, 192u, 255u, 256u,
                        1000u, 4099u, 65536u, 200003u}) {
    INFO("length " << n);
    CHECK(igtb::crc64(buf.data(), n) == crc64(buf.data(), n, 0));
  }
  // Incremental: crc of a+b == crc(b) continued from crc(a).
  const auto a = igtb::crc64(buf.data(), 1000);
  CHECK(igtb::crc64(buf.data() + 1000, 3099, a) == igtb::crc64(buf.data(), 4099));
  CHECK(igtb::crc64(buf.data() + 1000, 199003, a) == crc64(buf.data(), 200003, 0));
}
