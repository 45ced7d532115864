#include "transport/header.hpp"

#include <chrono>
#include <cmath>

#include "transport/bytes.hpp"

namespace igtb {
namespace {

std::string read_field(const std::uint8_t* p, std::size_t n, const char* what) {
  std::size_t len = 0;
  while (len < n && p[len] != 0) ++len;
  for (std::size_t i = 0; i < len; ++i) {
    if (p[i] < 0x20 || p[i] > 0x7e)
      throw ProtocolError(std::string("header ") + what + " holds non-printable byte 0x" +
                          "0123456789abcdef"[p[i] >> 4] + "0123456789abcdef"[p[i] & 15] +
                          " (stream out of step?)");
  }
  return std::string(reinterpret_cast<const char*>(p), len);
}

void write_field(const std::string& s, std::uint8_t* p, std::size_t n, const char* what) {
  if (s.size() > n)
    throw ProtocolError(std::string("header ") + what + " '" + s + "' longer than " +
                        std::to_string(n) + " characters");
  std::memset(p, 0, n);
  std::memcpy(p, s.data(), s.size());
}

}  // namespace

Header parse_header(const std::uint8_t* b) {
  Header h;
  h.version = get_be16(b);
  if (h.version != 1 && h.version != 2)
    throw ProtocolError("header version " + std::to_string(h.version) + " is not 1 or 2");
  h.type = read_field(b + 2, kTypeSize, "type");
  if (h.type.empty()) throw ProtocolError("header type is empty");
  h.device = read_field(b + 2 + kTypeSize, kDeviceSize, "device name");
  h.timestamp = get_be64(b + 34);
  h.body_size = get_be64(b + 42);
  h.crc = get_be64(b + 50);
  return h;
}

void write_header(const Header& h, std::uint8_t* out) {
  put_be16(out, h.version);
  write_field(h.type, out + 2, kTypeSize, "type");
  write_field(h.device, out + 2 + kTypeSize, kDeviceSize, "device name");
  put_be64(out + 34, h.timestamp);
  put_be64(out + 42, h.body_size);
  put_be64(out + 50, h.crc);
}

BodyLayout parse_body_layout(std::uint16_t version, const std::uint8_t* body, std::size_t n) {
  BodyLayout l;
  if (version < 2) {
    l.content_size = n;
    l.metadata_offset = n;
    return l;
  }
  if (n < kExtendedHeaderSize)
    throw ProtocolError("v3 body of " + std::to_string(n) + " bytes is shorter than the extended header");
  l.ext.header_size = get_be16(body);
  l.ext.metadata_header_size = get_be16(body + 2);
  l.ext.metadata_size = get_be32(body + 4);
  l.ext.message_id = get_be32(body + 8);
  const std::uint64_t ext = l.ext.header_size;
  const std::uint64_t meta = std::uint64_t(l.ext.metadata_header_size) + l.ext.metadata_size;
  if (ext < kExtendedHeaderSize || ext + meta > n)
    throw ProtocolError("v3 extended header (size " + std::to_string(ext) + ", metadata " +
                        std::to_string(l.ext.metadata_header_size) + "+" +
                        std::to_string(l.ext.metadata_size) + ") does not fit a body of " +
                        std::to_string(n) + " bytes");
  l.content_offset = ext;
  l.content_size = n - ext - meta;
  l.metadata_offset = ext + l.content_size;
  return l;
}

Metadata parse_metadata(const std::uint8_t* body, const BodyLayout& l) {
  Metadata md;
  // Tolerated from other writers (never written): a metadata header of 0
  // bytes, which older igtbridge versions wrote for "no metadata".
  if (l.ext.metadata_header_size == 0 && l.ext.metadata_size == 0) return md;
  if (l.ext.metadata_header_size < 2) throw ProtocolError("v3 metadata header shorter than its count");
  const std::uint8_t* p = body + l.metadata_offset;
  const std::uint16_t count = get_be16(p);
  if (2 + std::size_t(count) * 8 != l.ext.metadata_header_size)
    throw ProtocolError("v3 metadata count " + std::to_string(count) + " disagrees with header size " +
                        std::to_string(l.ext.metadata_header_size));
  const std::uint8_t* data = p + l.ext.metadata_header_size;
  std::uint64_t used = 0;
  md.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    const std::uint8_t* e = p + 2 + 8 * std::size_t(i);
    const std::uint16_t key_size = get_be16(e);
    const std::uint32_t value_size = get_be32(e + 4);
    if (used + key_size + value_size > l.ext.metadata_size)
      throw ProtocolError("v3 metadata entry " + std::to_string(i) + " runs past the metadata block");
    std::string key(reinterpret_cast<const char*>(data + used), key_size);
    used += key_size;
    std::string value(reinterpret_cast<const char*>(data + used), value_size);
    used += value_size;
    md.emplace_back(std::move(key), std::move(value));
  }
  if (used != l.ext.metadata_size)
    throw ProtocolError("v3 metadata entries use " + std::to_string(used) + " of " +
                        std::to_string(l.ext.metadata_size) + " bytes");
  return md;
}

// The 2-byte count is written even when it is 0, as the reference library
// does: its UnpackMetaData() reads it unconditionally, so a version-2 message
// declaring a metadata header of 0 bytes makes Slicer read past the body.
std::size_t metadata_header_size(const Metadata& md) { return 2 + 8 * md.size(); }

std::size_t metadata_data_size(const Metadata& md) {
  std::size_t n = 0;
  for (const auto& [k, v] : md) n += k.size() + v.size();
  return n;
}

void append_metadata(const Metadata& md, Bytes& out) {
  if (md.size() > 0xffff) throw ProtocolError("more than 65535 metadata entries");
  std::size_t at = out.size();
  out.resize(at + metadata_header_size(md));
  put_be16(&out[at], static_cast<std::uint16_t>(md.size()));
  at += 2;
  for (const auto& [k, v] : md) {
    if (k.size() > 0xffff) throw ProtocolError("metadata key longer than 65535 bytes");
    put_be16(&out[at], static_cast<std::uint16_t>(k.size()));
    put_be16(&out[at + 2], 3);  // IANA MIBenum 3: US-ASCII
    put_be32(&out[at + 4], static_cast<std::uint32_t>(v.size()));
    at += 8;
  }
  for (const auto& [k, v] : md) {
    out.insert(out.end(), k.begin(), k.end());
    out.insert(out.end(), v.begin(), v.end());
  }
}

std::uint64_t timestamp_from_seconds(double s) {
  if (!(s >= 0)) s = 0;
  double whole = std::floor(s);
  auto frac = static_cast<std::uint64_t>(std::llround((s - whole) * 4294967296.0));
  auto sec = static_cast<std::uint64_t>(whole);
  if (frac >= (1ULL << 32)) {  // rounding carried into the next second
    frac = 0;
    ++sec;
  }
  return (sec << 32) | frac;
}

double timestamp_to_seconds(std::uint64_t ts) {
  return double(ts >> 32) + double(ts & 0xffffffffULL) / 4294967296.0;
}

std::uint64_t timestamp_now() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
  std::uint64_t sec = std::uint64_t(ns) / 1000000000ULL;
  std::uint64_t rem = std::uint64_t(ns) % 1000000000ULL;
  return (sec << 32) | ((rem << 32) / 1000000000ULL);
}

}  // namespace igtb
