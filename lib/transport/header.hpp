// The 58-byte OpenIGTLink header (versions 1 and 2), the 12-byte v3 extended
// header and the v3 metadata block: pure functions between bytes and structs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/device_names.hpp"
#include "transport/bytes.hpp"

namespace igtb {

/// A message or stream that breaks the protocol. What it costs (the message
/// or the connection) is decided by the caller.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr std::size_t kHeaderSize = 58;
constexpr std::size_t kTypeSize = 12;
constexpr std::size_t kDeviceSize = kDeviceNameMax;
constexpr std::size_t kExtendedHeaderSize = 12;

struct Header {
  std::uint16_t version = 1;   ///< 1: protocol v1/v2; 2: protocol v3 (extended header + metadata)
  std::string type;            ///< e.g. "IMAGE" (at most 12 chars)
  std::string device;          ///< at most kDeviceNameMax (20) chars
  std::uint64_t timestamp = 0; ///< seconds << 32 | fraction of 2^32
  std::uint64_t body_size = 0;
  std::uint64_t crc = 0;
};

/// Parses 58 bytes. Throws ProtocolError for a version other than 1/2 or a
/// type/device field that is not printable ASCII (a stream out of step).
Header parse_header(const std::uint8_t* bytes);
/// Writes 58 bytes. Throws ProtocolError if type/device are too long.
void write_header(const Header& h, std::uint8_t* out);

struct ExtendedHeader {
  std::uint16_t header_size = kExtendedHeaderSize;
  std::uint16_t metadata_header_size = 0;  ///< includes the 2-byte count
  std::uint32_t metadata_size = 0;
  std::uint32_t message_id = 0;
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

/// Where content and metadata lie inside a body.
struct BodyLayout {
  ExtendedHeader ext;          ///< zeroes for version 1
  std::size_t content_offset = 0;
  std::size_t content_size = 0;
  std::size_t metadata_offset = 0;  ///< start of the metadata header
};

/// Splits a body by header version. For version 2 the extended header's sizes
/// must agree with the body size, else ProtocolError.
BodyLayout parse_body_layout(std::uint16_t version, const std::uint8_t* body, std::size_t body_size);
/// Parses the metadata block found by parse_body_layout (bounds-checked).
Metadata parse_metadata(const std::uint8_t* body, const BodyLayout& layout);

/// Bytes that append_metadata appends: header (the 2-byte count, also for
/// no entries, + 8 bytes per entry) and data.
std::size_t metadata_header_size(const Metadata& md);
std::size_t metadata_data_size(const Metadata& md);
void append_metadata(const Metadata& md, Bytes& out);

/// Timestamp conversions (seconds since the epoch, as a double).
std::uint64_t timestamp_from_seconds(double seconds);
double timestamp_to_seconds(std::uint64_t ts);
/// Wall-clock now as a wire timestamp.
std::uint64_t timestamp_now();

}  // namespace igtb
