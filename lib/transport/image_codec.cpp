#include "transport/image_codec.hpp"

#include <igtl_image.h>

#include <cmath>
#include <cstring>

namespace igtb {
namespace {

bool host_is_big_endian() {
  const std::uint16_t one = 1;
  std::uint8_t first;
  std::memcpy(&first, &one, 1);
  return first == 0;
}

void swap_in_place(std::uint8_t* p, std::size_t bytes, std::size_t width) {
  for (std::size_t i = 0; i + width <= bytes; i += width)
    for (std::size_t a = 0, b = width - 1; a < b; ++a, --b) std::swap(p[i + a], p[i + b]);
}

std::string dims_text(const std::array<std::uint16_t, 3>& d) {
  return std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]);
}

}  // namespace

ImageLayout decode_image_layout(const std::uint8_t* content, std::size_t size) {
  if (size < kImageHeaderSize)
    throw ProtocolError("IMAGE content of " + std::to_string(size) + " bytes is shorter than its 72-byte header");
  igtl_image_header h;
  std::memcpy(&h, content, sizeof h);
  igtl_image_convert_byte_order(&h);  // network order -> host order (header fields only)

  ImageLayout l;
  auto& info = l.info;
  const auto scalar = scalar_type_from_code(h.scalar_type);
  if (!scalar) throw ProtocolError("IMAGE scalar type " + std::to_string(h.scalar_type) + " is unknown");
  info.scalar = *scalar;
  if (h.num_components == 0) throw ProtocolError("IMAGE has 0 components");
  info.components = h.num_components;
  if (h.endian != IGTL_IMAGE_ENDIAN_BIG && h.endian != IGTL_IMAGE_ENDIAN_LITTLE && scalar_size(info.scalar) > 1)
    throw ProtocolError("IMAGE endian field " + std::to_string(h.endian) + " is neither 1 (big) nor 2 (little)");
  l.big_endian = h.endian == IGTL_IMAGE_ENDIAN_BIG;
  info.coordinate = h.coord;
  for (int i = 0; i < 3; ++i) {
    info.dims[i] = h.size[i];
    info.subvolume_offset[i] = h.subvol_offset[i];
    info.subvolume_size[i] = h.subvol_size[i];
  }
  for (int i = 0; i < 12; ++i) info.matrix[i] = h.matrix[i];
  for (int i = 0; i < 3; ++i) {
    if (info.dims[i] == 0 || info.subvolume_size[i] == 0)
      throw ProtocolError("IMAGE dims " + dims_text(info.dims) + " / subvolume " +
                          dims_text(info.subvolume_size) + " contain 0");
    if (std::uint32_t(info.subvolume_offset[i]) + info.subvolume_size[i] > info.dims[i])
      throw ProtocolError("IMAGE subvolume offset " + dims_text(info.subvolume_offset) + " size " +
                          dims_text(info.subvolume_size) + " lies outside dims " + dims_text(info.dims));
  }
  const std::size_t need = info.pixel_bytes();
  if (size - kImageHeaderSize != need)
    throw ProtocolError("IMAGE " + dims_text(info.subvolume_size) + " x" + std::to_string(info.components) +
                        " " + std::string(scalar_name(info.scalar)) + " needs " + std::to_string(need) +
                        " pixel bytes, the message has " + std::to_string(size - kImageHeaderSize));
  return l;
}

namespace {

/// The image whose layout `l` was read from `content`, pixels copied and in host order.
Image image_from_layout(const ImageLayout& l, const std::uint8_t* content) {
  Image img;
  static_cast<ImageInfo&>(img) = l.info;
  img.pixels.assign(content + l.pixel_offset, content + l.pixel_offset + l.info.pixel_bytes());
  const std::size_t width = scalar_size(img.scalar);
  if (width > 1 && l.big_endian != host_is_big_endian()) swap_in_place(img.pixels.data(), img.pixels.size(), width);
  return img;
}

/// An Image whose pixel count does not fit its dims is not written (ProtocolError).
void check_pixel_count(const Image& img) {
  if (img.pixels.size() != img.pixel_bytes())
    throw ProtocolError("IMAGE to write has " + std::to_string(img.pixels.size()) + " pixel bytes, " +
                        dims_text(img.subvolume_size) + " needs " + std::to_string(img.pixel_bytes()));
}

/// f(content, size) for an IMAGE message, its device named in a ProtocolError.
template <class F>
auto with_image_content(const Message& msg, F&& f) {
  if (msg.type() != "IMAGE") throw ProtocolError("expected IMAGE, got " + msg.type());
  try {
    return f(msg.content(), msg.content_size);
  } catch (const ProtocolError& e) {
    throw ProtocolError("'" + msg.device() + "': " + e.what());
  }
}

}  // namespace

Image decode_image(const std::uint8_t* content, std::size_t size) {
  return image_from_layout(decode_image_layout(content, size), content);
}

Image decode_image(const Message& msg) {
  return with_image_content(msg, [](const std::uint8_t* c, std::size_t n) { return decode_image(c, n); });
}

ImageView view_image(const Message& msg, Image& swapped) {
  return with_image_content(msg, [&](const std::uint8_t* c, std::size_t n) {
    const ImageLayout l = decode_image_layout(c, n);
    if (scalar_size(l.info.scalar) == 1 || l.big_endian == host_is_big_endian())
      return ImageView(l.info, c + l.pixel_offset);
    swapped = image_from_layout(l, c);
    return ImageView(swapped);
  });
}

void append_image_content(const ImageView& img, Bytes& out) {
  const std::size_t bytes = img.pixel_bytes();
  if (!img.pixels && bytes > 0) throw ProtocolError("IMAGE to write has no pixels");
  igtl_image_header h{};
  h.version = IGTL_IMAGE_HEADER_VERSION;
  h.num_components = img.components;
  h.scalar_type = static_cast<std::uint8_t>(img.scalar);
  h.endian = host_is_big_endian() ? IGTL_IMAGE_ENDIAN_BIG : IGTL_IMAGE_ENDIAN_LITTLE;
  h.coord = img.coordinate;
  for (int i = 0; i < 3; ++i) {
    h.size[i] = img.dims[i];
    h.subvol_offset[i] = img.subvolume_offset[i];
    h.subvol_size[i] = img.subvolume_size[i];
  }
  for (int i = 0; i < 12; ++i) h.matrix[i] = img.matrix[i];
  igtl_image_convert_byte_order(&h);  // host -> network order
  const std::size_t at = out.size();
  out.resize(at + kImageHeaderSize + bytes);
  std::memcpy(&out[at], &h, kImageHeaderSize);
  if (bytes > 0) std::memcpy(&out[at + kImageHeaderSize], img.pixels, bytes);
}

void append_image_content(const Image& img, Bytes& out) {
  check_pixel_count(img);
  append_image_content(ImageView(img), out);
}

Bytes encode_image(const Envelope& env, const Image& img) {
  check_pixel_count(img);
  return encode_image(env, ImageView(img));
}

Bytes encode_image(const Envelope& env, const ImageView& img) {
  MessageBuilder b(env, kImageHeaderSize + img.pixel_bytes());
  append_image_content(img, b.content());
  return std::move(b).finish();
}

}  // namespace igtb
