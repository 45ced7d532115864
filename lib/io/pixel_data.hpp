// The pixel block of a sequence file: size checks against the file, raw or
// deflated reading, and the byte-order swap. Shared by both readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/sequence.hpp"
#include "io/text_fields.hpp"

namespace igtb::io::detail {

/// Largest decompressed pixel block accepted (guards against absurd headers).
constexpr std::uint64_t kMaxInflatedBytes = std::uint64_t{4} << 30;

struct PixelBlock {
  std::uint64_t offset = 0;    ///< where the data starts in the file
  std::string data_path;       ///< the file holding the data; "" = seq.path (LOCAL)
  bool deflated = false;       ///< a zlib or gzip stream rather than raw bytes
  std::optional<std::uint64_t> stored_size;  ///< bytes of the stream, when the header says
  bool swap = false;           ///< file byte order differs from the host's
  std::string size_field;      ///< named when the data does not match the dimensions
  std::string encoding_field;  ///< named when the stream cannot be inflated
  std::string stored_size_field;  ///< named when stored_size exceeds the file
};

bool host_is_big_endian();

/// frame_bytes * frame_count, or SequenceError naming size_field on overflow.
std::uint64_t block_bytes(const Sequence& seq, std::uint64_t frame_count, const std::string& size_field);

/// Reads `bytes` pixel bytes described by `block` from the file at seq.path
/// into seq.pixels (host byte order). Checks sizes before allocating.
void read_pixels(Sequence& seq, const PixelBlock& block, std::uint64_t bytes);

/// What both readers do once the header is understood: read frame_count
/// frames of pixels, then the per-frame and global fields.
void finish_sequence(Sequence& seq, const HeaderFields& h, const PixelBlock& block, std::uint32_t frame_count,
                     const std::string& size_field);

/// Reverses every `width`-byte word in place.
void swap_bytes(std::uint8_t* data, std::size_t size, std::size_t width);

}  // namespace igtb::io::detail
