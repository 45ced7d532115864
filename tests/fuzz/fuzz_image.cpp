// Fuzz target: an IMAGE content (72-byte image header + pixels) through
// decode_image_layout / decode_image, then an encode -> decode round trip.
// Documented exception: ProtocolError.
#include <cstring>

#include "fuzz_util.hpp"
#include "transport/image_codec.hpp"

using namespace igtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const ImageLayout l = decode_image_layout(data, size);
    IGTB_FUZZ_CHECK(l.pixel_offset + l.info.pixel_bytes() == size);
  } catch (const ProtocolError&) {
  }
  try {
    const Image a = decode_image(data, size);
    IGTB_FUZZ_CHECK(a.pixels.size() == a.pixel_bytes());
    const Image img = decode_image(fuzz::message_from_content("IMAGE", data, size));
    IGTB_FUZZ_CHECK(img.pixels == a.pixels);
    // What we decode we can send on: encode it and read it back, bit for bit.
    Envelope env;
    env.type = "IMAGE";
    env.device = "Fuzz";
    env.header_version = 2;
    env.metadata = {{"k", "v"}};
    const Image back = decode_image(fuzz::redecode(encode_image(env, img)));
    IGTB_FUZZ_CHECK(back.dims == img.dims && back.components == img.components && back.scalar == img.scalar &&
                    back.coordinate == img.coordinate && back.subvolume_offset == img.subvolume_offset &&
                    back.subvolume_size == img.subvolume_size);
    IGTB_FUZZ_CHECK(std::memcmp(back.matrix.data(), img.matrix.data(), sizeof img.matrix) == 0);
    IGTB_FUZZ_CHECK(back.pixels == img.pixels);
    (void)image_spacing(img);
    (void)ijk_to_ras_from_wire(img.matrix, img.dims);
  } catch (const ProtocolError&) {
  }
  return 0;
}
