// A whole OpenIGTLink message: framing (header, v3 extended header, metadata,
// CRC) around a content that the per-type codecs read and write.
#pragma once

#include <optional>
#include <string>

#include "transport/bytes.hpp"
#include "transport/header.hpp"

namespace igtb {

/// The body's CRC does not match the header's.
class CrcError : public ProtocolError {
 public:
  using ProtocolError::ProtocolError;
};

/// A received message. `wire` holds the bytes exactly as they arrived, so a
/// relay forwards them unchanged; content and metadata are located in it.
struct Message {
  Header header;
  std::uint32_t message_id = 0;
  Metadata metadata;
  SharedBytes wire;
  std::size_t content_offset = 0;  ///< within wire
  std::size_t content_size = 0;

  const std::uint8_t* content() const { return wire->data() + content_offset; }
  const std::string& type() const { return header.type; }
  const std::string& device() const { return header.device; }
  /// The first metadata value for key, if any.
  std::optional<std::string> meta(const std::string& key) const;
};

/// Splits a complete message (58-byte header + body). Throws ProtocolError if
/// the sizes disagree and CrcError if check_crc and the CRC does not match.
Message decode_message(SharedBytes wire, bool check_crc);

/// What goes around a content when we write a message.
struct Envelope {
  std::string type;
  std::string device;
  std::uint64_t timestamp = 0;
  std::uint16_t header_version = 1;  ///< 2 adds the extended header and metadata (protocol v3)
  std::uint32_t message_id = 0;
  Metadata metadata;                 ///< written only with header_version 2 (v1 has no place for it)
};

/// Builds one message in one buffer: encoders append the content to
/// content(), finish() adds metadata, headers and CRC. No copy of the content.
class MessageBuilder {
 public:
  explicit MessageBuilder(Envelope env, std::size_t content_size_hint = 0);
  Bytes& content() { return buf_; }
  Bytes finish() &&;

 private:
  Envelope env_;
  Bytes buf_;
};

/// Frames an already encoded content (copies it once).
Bytes frame_message(const Envelope& env, const std::uint8_t* content, std::size_t size);

/// The same message (type, device, timestamp, message id, content) framed in
/// another header version: to version 1 its metadata is left out (version 1
/// has no place for it); to version 2 it is kept. Copies the content once.
Bytes reframe(const Message& m, std::uint16_t header_version);

}  // namespace igtb
