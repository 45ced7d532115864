// PNG encoding of an 8-bit RGB image (the dashboard's overlay picture).
// Written here on zlib, which the project links already, rather than with
// libpng: an RGB PNG is three chunks around one deflate stream (RFC 2083),
// and libpng would add a dependency to stage on the GPU machine for that.
#pragma once

#include <cstdint>
#include <vector>

namespace igtb::io {

/// `rgb` holds height rows of width * 3 bytes. Throws std::invalid_argument
/// for an empty image or a size that does not match. `level`: zlib's 0..9
/// (1: fast, what a live picture wants).
std::vector<std::uint8_t> encode_png_rgb(const std::uint8_t* rgb, int width, int height, int level = 1);

}  // namespace igtb::io
