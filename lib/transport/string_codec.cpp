#include "transport/string_codec.hpp"

#include <igtlStringMessage.h>

#include <cstring>

#include "transport/igtl_adapter.hpp"

namespace igtb {

Text decode_string(const Message& msg) {
  const std::size_t n = msg.content_size;
  if (n < 4) throw ProtocolError("STRING '" + msg.device() + "': content of " + std::to_string(n) + " bytes is shorter than 4");
  const std::size_t len = get_be16(msg.content() + 2);
  if (4 + len != n)
    throw ProtocolError("STRING '" + msg.device() + "': length field " + std::to_string(len) + " disagrees with content of " +
                        std::to_string(n) + " bytes");
  auto m = igtl::StringMessage::New();
  igtl_unpack(*m, msg);
  Text t;
  t.encoding = m->GetEncoding();
  // GetString() stops at an embedded NUL; the length field is authoritative.
  t.text.assign(reinterpret_cast<const char*>(msg.content() + 4), len);
  return t;
}

Bytes encode_string(const Envelope& env, const Text& t) {
  if (t.text.size() > 0xffff) throw ProtocolError("STRING longer than 65535 bytes");
  auto m = igtl::StringMessage::New();
  m->SetEncoding(t.encoding);
  std::string text = t.text;  // 1.11 takes a non-const reference
  m->SetString(text);
  MessageBuilder b(env, 4 + t.text.size());
  const std::size_t at = b.content().size();
  igtl_append_content(*m, b.content());
  // 1.11 copies the text only up to its first NUL and zero-fills the rest;
  // the length field is right, so put the bytes in verbatim.
  if (b.content().size() != at + 4 + t.text.size())
    throw ProtocolError("STRING '" + env.device + "': OpenIGTLink packed " +
                        std::to_string(b.content().size() - at) + " bytes for a text of " +
                        std::to_string(t.text.size()));
  if (!t.text.empty()) std::memcpy(b.content().data() + at + 4, t.text.data(), t.text.size());
  return std::move(b).finish();
}

}  // namespace igtb
