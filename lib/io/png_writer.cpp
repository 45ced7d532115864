#include "io/png_writer.hpp"

#include <zlib.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace igtb::io {
namespace {

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

void chunk(std::vector<std::uint8_t>& out, const char type[4], const std::uint8_t* data, std::size_t size) {
  put32(out, static_cast<std::uint32_t>(size));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  if (size) out.insert(out.end(), data, data + size);
  const uLong crc = crc32(0L, out.data() + start, static_cast<uInt>(out.size() - start));
  put32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

std::vector<std::uint8_t> encode_png_rgb(const std::uint8_t* rgb, int width, int height, int level) {
  if (!rgb || width <= 0 || height <= 0 || width > (1 << 14) || height > (1 << 14))
    throw std::invalid_argument("encode_png_rgb: an image of " + std::to_string(width) + " x " +
                                std::to_string(height) + " pixels (1..16384 each way)");
  const std::size_t row = std::size_t(width) * 3;
  std::vector<std::uint8_t> raw(std::size_t(height) * (row + 1));
  for (int y = 0; y < height; ++y) {
    raw[std::size_t(y) * (row + 1)] = 0;  // filter type None
    std::memcpy(&raw[std::size_t(y) * (row + 1) + 1], rgb + std::size_t(y) * row, row);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> packed(packed_size);
  if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), level) != Z_OK)
    throw std::runtime_error("encode_png_rgb: zlib compress2 failed");

  std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<std::uint8_t> ihdr;
  put32(ihdr, static_cast<std::uint32_t>(width));
  put32(ihdr, static_cast<std::uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8 bits, RGB, deflate, adaptive filters, no interlace
  chunk(out, "IHDR", ihdr.data(), ihdr.size());
  chunk(out, "IDAT", packed.data(), packed_size);
  chunk(out, "IEND", nullptr, 0);
  return out;
}

}  // namespace igtb::io
