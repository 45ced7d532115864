// IMAGE content <-> Image (core/image.hpp). The 72-byte image header is read and written with
// OpenIGTLink 1.11's igtl_image_header and byte-order routine; the 12 matrix
// floats are kept exactly as on the wire (no normalise/re-multiply round trip),
// so a label map can carry the input's geometry bit for bit.
#pragma once

#include <array>
#include <string>

#include "core/geometry.hpp"
#include "core/image.hpp"
#include "core/scalar_type.hpp"
#include "transport/message.hpp"

namespace igtb {

constexpr std::size_t kImageHeaderSize = 72;

/// Where the pixels lie in a content, and in which byte order.
struct ImageLayout {
  ImageInfo info;
  bool big_endian = false;
  std::size_t pixel_offset = kImageHeaderSize;
};

/// Validates the image header against the content size (scalar type,
/// components, subvolume, data size) and returns it. Throws ProtocolError.
ImageLayout decode_image_layout(const std::uint8_t* content, std::size_t size);
/// Decodes and copies the pixels, swapped to host byte order where needed.
Image decode_image(const std::uint8_t* content, std::size_t size);
Image decode_image(const Message& msg);
/// The message's image without copying its pixels where they are in host
/// byte order (the view then points into msg's bytes); where they are not,
/// they are decoded, swapped, into `swapped` and the view points there.
/// Throws ProtocolError like decode_image.
ImageView view_image(const Message& msg, Image& swapped);

/// Appends an IMAGE content (pixels in host order, labelled so). An Image
/// whose pixel count does not fit its dims is refused (ProtocolError).
void append_image_content(const Image& img, Bytes& out);
void append_image_content(const ImageView& img, Bytes& out);
Bytes encode_image(const Envelope& env, const Image& img);
Bytes encode_image(const Envelope& env, const ImageView& img);

}  // namespace igtb
