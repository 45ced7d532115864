// Fuzz target: a STRING content through decode_string, then an encode ->
// decode round trip. Documented exception: ProtocolError.
#include "fuzz_util.hpp"
#include "transport/string_codec.hpp"

using namespace igtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const Text t = decode_string(fuzz::message_from_content("STRING", data, size));
    IGTB_FUZZ_CHECK(t.text.size() + 4 == size);
    Envelope env;
    env.type = "STRING";
    env.device = "Fuzz";
    env.header_version = 2;
    const Text back = decode_string(fuzz::redecode(encode_string(env, t)));
    IGTB_FUZZ_CHECK(back.encoding == t.encoding && back.text == t.text);
  } catch (const ProtocolError&) {
  }
  return 0;
}
