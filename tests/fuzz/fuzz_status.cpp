// Fuzz target: a STATUS content through decode_status, then an encode ->
// decode round trip. Documented exception: ProtocolError.
#include "fuzz_util.hpp"
#include "transport/status_codec.hpp"

using namespace igtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const Status s = decode_status(fuzz::message_from_content("STATUS", data, size));
    IGTB_FUZZ_CHECK(s.error_name.size() <= 20);
    IGTB_FUZZ_CHECK(s.message.size() <= size);
    Envelope env;
    env.type = "STATUS";
    env.device = "Fuzz";
    const Status back = decode_status(fuzz::redecode(encode_status(env, s)));
    // 1.11's StatusMessage::SetCode drops codes outside 0..19 (STATUS_NUM_TYPES);
    // the decoder passes any code on. Only the codes 1.11 can write must come back.
    IGTB_FUZZ_CHECK(s.code >= 20 || back.code == s.code);
    IGTB_FUZZ_CHECK(back.subcode == s.subcode);
    IGTB_FUZZ_CHECK(back.error_name == s.error_name && back.message == s.message);
  } catch (const ProtocolError&) {
  }
  return 0;
}
