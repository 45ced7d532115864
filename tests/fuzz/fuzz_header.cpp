// Fuzz target: the 58-byte header (v1/v2), the v3 extended header and metadata,
// and decode_message() on the whole input as a wire message.
// Documented exceptions: ProtocolError (CrcError is one). Anything else, a
// crash or a violated invariant is a finding.
#include <cstring>

#include "fuzz_util.hpp"
#include "transport/header.hpp"
#include "transport/message.hpp"

using namespace igtb;

namespace {

void check_layout(const BodyLayout& l, std::size_t n) {
  IGTB_FUZZ_CHECK(l.content_offset <= n);
  IGTB_FUZZ_CHECK(l.content_size <= n - l.content_offset);
  IGTB_FUZZ_CHECK(l.metadata_offset <= n);
  IGTB_FUZZ_CHECK(std::uint64_t(l.metadata_offset) + l.ext.metadata_header_size + l.ext.metadata_size <= n);
}

void layout_and_metadata(std::uint16_t version, const std::uint8_t* body, std::size_t n) {
  try {
    const BodyLayout l = parse_body_layout(version, body, n);
    check_layout(l, n);
    const Metadata md = parse_metadata(body, l);
    if (version < 2) IGTB_FUZZ_CHECK(md.empty());
    std::size_t bytes = 0;
    for (const auto& [k, v] : md) bytes += k.size() + v.size();
    IGTB_FUZZ_CHECK(bytes <= l.ext.metadata_size);
  } catch (const ProtocolError&) {
  }
}

void whole_message(const std::uint8_t* data, std::size_t size, bool check_crc) {
  try {
    auto wire = std::make_shared<const Bytes>(data, data + size);
    const Message m = decode_message(wire, check_crc);
    IGTB_FUZZ_CHECK(m.wire && m.wire->size() == size);
    IGTB_FUZZ_CHECK(m.content_offset >= kHeaderSize && m.content_offset <= size);
    IGTB_FUZZ_CHECK(m.content_size <= size - m.content_offset);
    // Round trip: the same envelope and content framed again decode to the same.
    Envelope env;
    env.type = m.type();
    env.device = m.device();
    env.timestamp = m.header.timestamp;
    env.header_version = m.header.version;
    env.message_id = m.message_id;
    env.metadata = m.metadata;
    const Message again = fuzz::redecode(frame_message(env, m.content(), m.content_size));
    IGTB_FUZZ_CHECK(again.type() == m.type() && again.device() == m.device());
    IGTB_FUZZ_CHECK(again.header.timestamp == m.header.timestamp);
    IGTB_FUZZ_CHECK(again.header.version == m.header.version);
    IGTB_FUZZ_CHECK(again.message_id == m.message_id);
    IGTB_FUZZ_CHECK(again.metadata == m.metadata);
    IGTB_FUZZ_CHECK(again.content_size == m.content_size);
    IGTB_FUZZ_CHECK(m.content_size == 0 || std::memcmp(again.content(), m.content(), m.content_size) == 0);
  } catch (const ProtocolError&) {  // CrcError included
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size >= kHeaderSize) {
    try {
      const Header h = parse_header(data);
      IGTB_FUZZ_CHECK(h.version == 1 || h.version == 2);
      IGTB_FUZZ_CHECK(!h.type.empty() && h.type.size() <= kTypeSize && h.device.size() <= kDeviceSize);
      std::uint8_t out[kHeaderSize];
      write_header(h, out);
      const Header back = parse_header(out);
      IGTB_FUZZ_CHECK(back.version == h.version && back.type == h.type && back.device == h.device &&
                      back.timestamp == h.timestamp && back.body_size == h.body_size && back.crc == h.crc);
      layout_and_metadata(h.version, data + kHeaderSize, size - kHeaderSize);
    } catch (const ProtocolError&) {
    }
  }
  // The extended header and metadata on their own, whatever the first 58 bytes say.
  layout_and_metadata(2, data, size);
  whole_message(data, size, false);
  whole_message(data, size, true);
  return 0;
}
