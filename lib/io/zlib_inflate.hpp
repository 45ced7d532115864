// Decompression of zlib (RFC 1950) and gzip (RFC 1952) streams with zlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace igtb::io {

/// Why a stream could not be inflated to the expected size.
class InflateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Inflates a zlib or gzip stream (detected from its header; concatenated
/// gzip members are allowed) into exactly out_size bytes at out. Throws
/// InflateError on a corrupt stream, or when it holds fewer or more bytes.
void inflate_exact(const std::uint8_t* in, std::size_t in_size, std::uint8_t* out, std::size_t out_size);

}  // namespace igtb::io
