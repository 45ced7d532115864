// Fuzz target: a TRANSFORM content through decode_transform, then an
// encode -> decode round trip. Documented exception: ProtocolError.
#include <cstring>

#include "fuzz_util.hpp"
#include "transport/transform_codec.hpp"

using namespace igtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const Matrix4f m = decode_transform(fuzz::message_from_content("TRANSFORM", data, size));
    IGTB_FUZZ_CHECK(m[12] == 0 && m[13] == 0 && m[14] == 0 && m[15] == 1);
    Envelope env;
    env.type = "TRANSFORM";
    env.device = "Fuzz";
    const Matrix4f back = decode_transform(fuzz::redecode(encode_transform(env, m)));
    IGTB_FUZZ_CHECK(std::memcmp(back.data(), m.data(), sizeof m) == 0);
  } catch (const ProtocolError&) {
  }
  return 0;
}
