// IMAGE content <-> Image. The 72-byte image header is read and written with
// OpenIGTLink 1.11's igtl_image_header and byte-order routine; the 12 matrix
// floats are kept exactly as on the wire (no normalise/re-multiply round trip),
// so a label map can carry the input's geometry bit for bit.
#pragma once

#include <array>
#include <string>

#include "core/scalar_type.hpp"
#include "transport/message.hpp"

namespace igtb {

constexpr std::size_t kImageHeaderSize = 72;

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

// --- geometry --------------------------------------------------------------
/// Row-major 4x4 IJK->RAS in the corner-voxel convention (what Slicer and
/// NRRD use): columns scaled by spacing, translation = centre of voxel (0,0,0).
using Matrix4d = std::array<double, 16>;

/// Wire matrix from a corner-convention IJK->RAS and the dims:
/// centre = M * ((dims - 1) / 2).
std::array<float, 12> wire_matrix_from_ijk_to_ras(const Matrix4d& ijk_to_ras,
                                                  const std::array<std::uint16_t, 3>& dims);
/// The inverse, as Slicer's OpenIGTLinkIF computes it.
Matrix4d ijk_to_ras_from_wire(const std::array<float, 12>& matrix, const std::array<std::uint16_t, 3>& dims);
/// Column norms of the wire matrix.
std::array<double, 3> image_spacing(const ImageInfo& info);

}  // namespace igtb
