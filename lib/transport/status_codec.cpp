#include "transport/status_codec.hpp"

#include <igtlStatusMessage.h>

#include "transport/igtl_adapter.hpp"

namespace igtb {

constexpr std::size_t kStatusHeaderSize = 30;  // code 2 + subcode 8 + error name 20

Status decode_status(const Message& msg) {
  Status s;
  if (msg.content_size == 0) {  // a bare STATUS (seen from some senders): no fields
    s.code = Status::Unknown;
    return s;
  }
  if (msg.content_size < kStatusHeaderSize)
    throw ProtocolError("STATUS '" + msg.device() + "': content of " + std::to_string(msg.content_size) +
                        " bytes is shorter than 30");
  auto m = igtl::StatusMessage::New();
  if (msg.content_size == kStatusHeaderSize) {
    // No status string: 1.11's UnpackBody runs strlen from byte 30 when the
    // last byte is NUL, i.e. past the end here. Hand it an empty string.
    Bytes c(msg.content(), msg.content() + kStatusHeaderSize);
    c.push_back(0);
    igtl_unpack(*m, msg.type(), msg.device(), c.data(), c.size());
  } else {
    igtl_unpack(*m, msg);
  }
  s.code = static_cast<std::uint16_t>(m->GetCode());
  s.subcode = m->GetSubCode();
  const char* name = m->GetErrorName();
  s.error_name = std::string(name, strnlen(name, 20));
  // The status string runs to the end of the content, NUL-terminated or not.
  const auto* text = msg.content() + kStatusHeaderSize;
  const std::size_t n = msg.content_size - kStatusHeaderSize;
  s.message = std::string(reinterpret_cast<const char*>(text), strnlen(reinterpret_cast<const char*>(text), n));
  return s;
}

Bytes encode_status(const Envelope& env, const Status& s) {
  if (s.error_name.size() > 20) throw ProtocolError("STATUS error name '" + s.error_name + "' longer than 20");
  auto m = igtl::StatusMessage::New();
  m->SetCode(s.code);
  m->SetSubCode(s.subcode);
  m->SetErrorName(s.error_name.c_str());
  m->SetStatusString(s.message.c_str());
  MessageBuilder b(env, kStatusHeaderSize + s.message.size() + 1);
  igtl_append_content(*m, b.content());
  return std::move(b).finish();
}

}  // namespace igtb
