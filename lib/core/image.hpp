// An image as content: what an IMAGE message carries, what a PLUS
// recording's frame is, what the pipeline segments, without the wire. The
// codec (transport/image_codec.hpp) turns these into bytes and back.
#pragma once

#include <array>
#include <cstdint>

#include "core/bytes.hpp"
#include "core/scalar_type.hpp"

namespace igtb {

/// Everything in an IMAGE but the pixels.
struct ImageInfo {
  std::array<std::uint16_t, 3> dims{1, 1, 1};
  std::uint8_t components = 1;
  ScalarType scalar = ScalarType::UInt8;
  std::uint8_t coordinate = 1;  ///< 1 RAS, 2 LPS: kept, never interpreted (Slicer ignores it too)
  /// As on the wire: i column * spacing_i, j column * spacing_j,
  /// k column * spacing_k, then the position of the image CENTRE.
  std::array<float, 12> matrix{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
  std::array<std::uint16_t, 3> subvolume_offset{0, 0, 0};
  std::array<std::uint16_t, 3> subvolume_size{1, 1, 1};  ///< == dims for a whole image

  std::size_t pixel_bytes() const;  ///< of the (sub)volume carried
};

struct Image : ImageInfo {
  Bytes pixels;  ///< host byte order
};

/// An image whose pixels (pixel_bytes() of them, host byte order) lie
/// elsewhere: in a received message, or in an Image (converts implicitly).
/// Valid while they are.
struct ImageView : ImageInfo {
  const std::uint8_t* pixels = nullptr;
  ImageView() = default;
  ImageView(const ImageInfo& info, const std::uint8_t* data) : ImageInfo(info), pixels(data) {}
  ImageView(const Image& img) : ImageInfo(img), pixels(img.pixels.data()) {}  // NOLINT: implicit on purpose
};

}  // namespace igtb
