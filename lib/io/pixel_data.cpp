#include "io/pixel_data.hpp"

#include <algorithm>
#include <fstream>
#include <limits>

#include "io/zlib_inflate.hpp"

namespace igtb::io::detail {
namespace {

// Deflate cannot expand one input byte to more than 1032 output bytes.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) return true;
  out = a * b;
  return false;
}

void read_exact(std::ifstream& in, const Sequence& seq, std::uint64_t offset, std::uint8_t* dst,
                std::uint64_t size) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(size));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != size)
    throw SequenceError(seq.path, "", "read error in the pixel data");
}

}  // namespace

bool host_is_big_endian() {
  const std::uint16_t probe = 1;
  std::uint8_t first = 0;
  std::copy_n(reinterpret_cast<const std::uint8_t*>(&probe), 1, &first);
  return first == 0;
}

std::uint64_t block_bytes(const Sequence& seq, std::uint64_t frame_count, const std::string& size_field) {
  std::uint64_t bytes = scalar_size(seq.scalar);
  bool overflow = mul_overflows(bytes, seq.components, bytes);
  for (const std::uint32_t d : seq.frame_dims) overflow = overflow || mul_overflows(bytes, d, bytes);
  overflow = overflow || mul_overflows(bytes, frame_count, bytes);
  if (overflow || bytes > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()))
    throw SequenceError(seq.path, size_field, "the image size overflows");
  return bytes;
}

void swap_bytes(std::uint8_t* data, std::size_t size, std::size_t width) {
  if (width < 2) return;
  for (std::size_t i = 0; i + width <= size; i += width) std::reverse(data + i, data + i + width);
}

void read_pixels(Sequence& seq, const PixelBlock& block, std::uint64_t bytes) {
  const std::string& file = block.data_path.empty() ? seq.path : block.data_path;
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) throw SequenceError(seq.path, "", "cannot open the data file " + file);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  const std::uint64_t remaining = file_size > block.offset ? file_size - block.offset : 0;
  const std::string expect = "expected " + std::to_string(bytes) + " bytes of pixel data";

  if (!block.deflated) {
    if (bytes > remaining)
      throw SequenceError(seq.path, block.size_field,
                          expect + ", the file has " + std::to_string(remaining) + " (truncated?)");
    seq.pixels.resize(bytes);
    read_exact(in, seq, block.offset, seq.pixels.data(), bytes);
  } else {
    const std::uint64_t stored = block.stored_size.value_or(remaining);
    if (stored > remaining)
      throw SequenceError(seq.path, block.stored_size_field,
                          std::to_string(stored) + " bytes, but only " + std::to_string(remaining) +
                              " follow the header (truncated?)");
    if (bytes > kMaxInflatedBytes)
      throw SequenceError(seq.path, block.size_field,
                          expect + ", more than the limit of " + std::to_string(kMaxInflatedBytes));
    if (bytes > stored * kMaxDeflateRatio)
      throw SequenceError(seq.path, block.size_field,
                          expect + ", which " + std::to_string(stored) + " compressed bytes cannot hold");
    std::vector<std::uint8_t> packed(stored);
    read_exact(in, seq, block.offset, packed.data(), stored);
    seq.pixels.resize(bytes);
    try {
      inflate_exact(packed.data(), packed.size(), seq.pixels.data(), seq.pixels.size());
    } catch (const InflateError& e) {
      throw SequenceError(seq.path, block.encoding_field, e.what());
    }
  }
  if (block.swap) swap_bytes(seq.pixels.data(), seq.pixels.size(), scalar_size(seq.scalar));
}

void finish_sequence(Sequence& seq, const HeaderFields& h, const PixelBlock& block, std::uint32_t frame_count,
                     const std::string& size_field) {
  read_pixels(seq, block, block_bytes(seq, frame_count, size_field));
  seq.frames = h.build_frames(frame_count, size_field);
  seq.fields = h.global();
}

}  // namespace igtb::io::detail
