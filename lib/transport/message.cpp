#include "transport/message.hpp"

#include "transport/crc64.hpp"

namespace igtb {

std::optional<std::string> Message::meta(const std::string& key) const {
  for (const auto& [k, v] : metadata)
    if (k == key) return v;
  return std::nullopt;
}

Message decode_message(SharedBytes wire, bool check_crc) {
  if (!wire || wire->size() < kHeaderSize) throw ProtocolError("message shorter than its 58-byte header");
  Message m;
  m.header = parse_header(wire->data());
  const std::uint8_t* body = wire->data() + kHeaderSize;
  const std::size_t n = wire->size() - kHeaderSize;
  if (m.header.body_size != n)
    throw ProtocolError("header announces a body of " + std::to_string(m.header.body_size) +
                        " bytes, " + std::to_string(n) + " present");
  if (check_crc) {
    const std::uint64_t crc = crc64(body, n);
    if (crc != m.header.crc)
      throw CrcError(m.header.type + " '" + m.header.device + "': CRC mismatch (header " +
                     std::to_string(m.header.crc) + ", body " + std::to_string(crc) + ")");
  }
  const BodyLayout layout = parse_body_layout(m.header.version, body, n);
  m.message_id = layout.ext.message_id;
  m.metadata = parse_metadata(body, layout);
  m.content_offset = kHeaderSize + layout.content_offset;
  m.content_size = layout.content_size;
  m.wire = std::move(wire);
  return m;
}

MessageBuilder::MessageBuilder(Envelope env, std::size_t hint) : env_(std::move(env)) {
  if (env_.header_version != 1 && env_.header_version != 2)
    throw ProtocolError("cannot write header version " + std::to_string(env_.header_version));
  const std::size_t prefix = kHeaderSize + (env_.header_version == 2 ? kExtendedHeaderSize : 0);
  buf_.reserve(prefix + hint + (env_.header_version == 2 ? 64 : 0));
  buf_.resize(prefix);
}

Bytes MessageBuilder::finish() && {
  const bool v3 = env_.header_version == 2;
  if (v3) {
    const std::size_t mh = metadata_header_size(env_.metadata);
    const std::size_t md = metadata_data_size(env_.metadata);
    if (md > 0xffffffffULL) throw ProtocolError("metadata larger than 4 GiB");
    std::uint8_t* ext = buf_.data() + kHeaderSize;
    put_be16(ext, kExtendedHeaderSize);
    put_be16(ext + 2, static_cast<std::uint16_t>(mh));
    put_be32(ext + 4, static_cast<std::uint32_t>(md));
    put_be32(ext + 8, env_.message_id);
    append_metadata(env_.metadata, buf_);
  }
  Header h;
  h.version = env_.header_version;
  h.type = env_.type;
  h.device = env_.device;
  h.timestamp = env_.timestamp;
  h.body_size = buf_.size() - kHeaderSize;
  h.crc = crc64(buf_.data() + kHeaderSize, h.body_size);
  write_header(h, buf_.data());
  return std::move(buf_);
}

Bytes frame_message(const Envelope& env, const std::uint8_t* content, std::size_t size) {
  MessageBuilder b(env, size);
  b.content().insert(b.content().end(), content, content + size);
  return std::move(b).finish();
}

Bytes reframe(const Message& m, std::uint16_t header_version) {
  Envelope env;
  env.type = m.type();
  env.device = m.device();
  env.timestamp = m.header.timestamp;
  env.header_version = header_version;
  env.message_id = m.message_id;
  if (header_version >= 2) env.metadata = m.metadata;
  return frame_message(env, m.content(), m.content_size);
}

}  // namespace igtb
