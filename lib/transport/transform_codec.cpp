#include "transport/transform_codec.hpp"

#include <igtlTransformMessage.h>

#include "transport/igtl_adapter.hpp"

namespace igtb {

constexpr std::size_t kTransformContentSize = 48;

Matrix4f decode_transform(const Message& msg) {
  if (msg.content_size != kTransformContentSize)
    throw ProtocolError("TRANSFORM '" + msg.device() + "': content of " + std::to_string(msg.content_size) +
                        " bytes, expected 48");
  auto t = igtl::TransformMessage::New();
  igtl_unpack(*t, msg);
  igtl::Matrix4x4 m;
  t->GetMatrix(m);
  Matrix4f out{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) out[4 * r + c] = m[r][c];
  return out;
}

Bytes encode_transform(const Envelope& env, const Matrix4f& in) {
  auto t = igtl::TransformMessage::New();
  igtl::Matrix4x4 m;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) m[r][c] = in[4 * r + c];
  t->SetMatrix(m);
  MessageBuilder b(env, kTransformContentSize);
  igtl_append_content(*t, b.content());
  return std::move(b).finish();
}

}  // namespace igtb
