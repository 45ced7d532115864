#include "../support/catch.hpp"

#include "transport/bytes.hpp"
#include "transport/crc64.hpp"
#include "transport/header.hpp"
#include "transport/message.hpp"
#include "transport/status_codec.hpp"

using namespace igtb;

TEST_CASE("header v1 and v2 round trip through 58 bytes") {
  for (std::uint16_t v : {1, 2}) {
    Header h;
    h.version = v;
    h.type = "TRANSFORM";
    h.device = "ProbeToTracker";
    h.timestamp = 0x0102030405060708ULL;
    h.body_size = 48;
    h.crc = 0xdeadbeefcafef00dULL;
    std::uint8_t b[kHeaderSize];
    write_header(h, b);
    CHECK(get_be16(b) == v);
    const Header r = parse_header(b);
    CHECK(r.version == v);
    CHECK(r.type == "TRANSFORM");
    CHECK(r.device == "ProbeToTracker");
    CHECK(r.timestamp == h.timestamp);
    CHECK(r.body_size == 48);
    CHECK(r.crc == h.crc);
  }
}

TEST_CASE("header fields of full width (12 / 20 chars, no NUL) are read whole") {
  Header h;
  h.type = "ABCDEFGHIJKL";
  h.device = "01234567890123456789";
  std::uint8_t b[kHeaderSize];
  write_header(h, b);
  const Header r = parse_header(b);
  CHECK(r.type == h.type);
  CHECK(r.device == h.device);
  h.device += "X";
  CHECK_THROWS_AS(write_header(h, b), ProtocolError);
}

TEST_CASE("garbage headers are rejected") {
  std::uint8_t b[kHeaderSize] = {};
  put_be16(b, 1);
  CHECK_THROWS_WITH(parse_header(b), Catch::Contains("type is empty"));
  std::memcpy(b + 2, "IMA\x01GE", 6);
  CHECK_THROWS_WITH(parse_header(b), Catch::Contains("non-printable"));
  std::memcpy(b + 2, "IMAGE\0", 6);
  put_be16(b, 7);
  CHECK_THROWS_WITH(parse_header(b), Catch::Contains("version 7"));
}

TEST_CASE("v3 message with metadata: encode, then hand-check the bytes, then decode") {
  Envelope env;
  env.type = "STRING";
  env.device = "Dev";
  env.timestamp = timestamp_from_seconds(12.5);
  env.header_version = 2;
  env.message_id = 42;
  env.metadata = {{"TransformStatus", "OK"}, {"k", ""}};
  const std::uint8_t content[] = {0, 3, 0, 2, 'h', 'i'};
  const Bytes wire = frame_message(env, content, sizeof content);
  const std::uint8_t* body = wire.data() + kHeaderSize;
  // extended header
  CHECK(get_be16(body) == 12);
  CHECK(get_be16(body + 2) == 2 + 2 * 8);
  CHECK(get_be32(body + 4) == 15 + 2 + 1 + 0);
  CHECK(get_be32(body + 8) == 42);
  CHECK(std::memcmp(body + 12, content, sizeof content) == 0);
  const std::uint8_t* mh = body + 12 + sizeof content;
  CHECK(get_be16(mh) == 2);
  CHECK(get_be16(mh + 2) == 15);  // key size
  CHECK(get_be16(mh + 4) == 3);   // US-ASCII
  CHECK(get_be32(mh + 6) == 2);   // value size
  CHECK(std::memcmp(mh + 18, "TransformStatusOKk", 18) == 0);
  CHECK(get_be64(wire.data() + 42) == wire.size() - kHeaderSize);
  CHECK(get_be64(wire.data() + 50) == crc64(body, wire.size() - kHeaderSize));

  const Message m = decode_message(std::make_shared<Bytes>(wire), true);
  CHECK(m.header.version == 2);
  CHECK(m.message_id == 42);
  REQUIRE(m.metadata.size() == 2);
  CHECK(m.meta("TransformStatus") == std::optional<std::string>("OK"));
  CHECK(m.meta("k") == std::optional<std::string>(""));
  CHECK(m.content_size == sizeof content);
  CHECK(std::memcmp(m.content(), content, sizeof content) == 0);
  CHECK(timestamp_to_seconds(m.header.timestamp) == 12.5);
}

TEST_CASE("v3 message without metadata carries the 2-byte count, as the reference library writes it") {
  // OpenIGTLink 3's GetMetaDataHeaderSize() is 2 + 8 * count for header
  // version 2, count 0 included, and UnpackMetaData() always reads the count:
  // a metadata header size of 0 makes Slicer read past the body.
  Envelope env{"STRING", "d", 0, 2, 9, {}};
  const std::uint8_t content[] = {0, 3, 0, 1, 'x'};
  const Bytes wire = frame_message(env, content, sizeof content);
  const std::uint8_t* body = wire.data() + kHeaderSize;
  REQUIRE(wire.size() == kHeaderSize + 12 + sizeof content + 2);
  CHECK(get_be16(body) == 12);
  CHECK(get_be16(body + 2) == 2);  // metadata header: the count alone
  CHECK(get_be32(body + 4) == 0);
  CHECK(get_be16(body + 12 + sizeof content) == 0);  // count 0, the last 2 bytes of the body
  const Message m = decode_message(std::make_shared<Bytes>(wire), true);
  CHECK(m.metadata.empty());
  CHECK(m.content_size == sizeof content);
}

TEST_CASE("a v3 metadata header of 0 bytes from an older writer is read as no metadata") {
  Bytes body = {0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2, 'o', 'k'};
  Header h;
  h.version = 2;
  h.type = "STRING";
  h.device = "old";
  h.body_size = body.size();
  h.crc = crc64(body.data(), body.size());
  auto wire = std::make_shared<Bytes>(kHeaderSize);
  write_header(h, wire->data());
  wire->insert(wire->end(), body.begin(), body.end());
  const Message m = decode_message(wire, true);
  CHECK(m.metadata.empty());
  CHECK(m.content_size == 6);
}

TEST_CASE("hand-built v3 bytes (as PlusServer sends them) decode") {
  // STATUS, header version 2, one metadata pair, message id 7, content = 30-byte status + "ok\0".
  Bytes body;
  const std::uint8_t ext[12] = {0, 12, 0, 10, 0, 0, 0, 7, 0, 0, 0, 7};
  body.insert(body.end(), ext, ext + 12);
  Bytes content(30, 0);
  put_be16(content.data(), 1);  // OK
  content.insert(content.end(), {'o', 'k', 0});
  body.insert(body.end(), content.begin(), content.end());
  const std::uint8_t mh[10] = {0, 1, 0, 3, 0, 3, 0, 0, 0, 4};
  body.insert(body.end(), mh, mh + 10);
  body.insert(body.end(), {'a', 'b', 'c', 'w', 'x', 'y', 'z'});
  Header h;
  h.version = 2;
  h.type = "STATUS";
  h.device = "Plus";
  h.body_size = body.size();
  h.crc = crc64(body.data(), body.size());
  auto wire = std::make_shared<Bytes>(kHeaderSize);
  write_header(h, wire->data());
  wire->insert(wire->end(), body.begin(), body.end());
  const Message m = decode_message(wire, true);
  CHECK(m.message_id == 7);
  CHECK(m.meta("abc") == std::optional<std::string>("wxyz"));
  CHECK(m.content_size == content.size());
  const Status s = decode_status(m);
  CHECK(s.code == Status::Ok);
  CHECK(s.message == "ok");
}

TEST_CASE("v3 extended header whose sizes disagree with the body is a protocol error") {
  Envelope env{"STRING", "d", 0, 2, 1, {{"a", "b"}}};
  const std::uint8_t content[] = {0, 3, 0, 0};
  Bytes wire = frame_message(env, content, sizeof content);
  put_be32(wire.data() + kHeaderSize + 4, 1000);  // metadata size beyond the body
  put_be64(wire.data() + 50, crc64(wire.data() + kHeaderSize, wire.size() - kHeaderSize));
  CHECK_THROWS_WITH(decode_message(std::make_shared<Bytes>(wire), true), Catch::Contains("does not fit"));
}

TEST_CASE("metadata count that disagrees with its header size is a protocol error") {
  Envelope env{"STRING", "d", 0, 2, 1, {{"a", "b"}}};
  const std::uint8_t content[] = {0, 3, 0, 0};
  Bytes wire = frame_message(env, content, sizeof content);
  put_be16(wire.data() + kHeaderSize + 12 + 4, 5);  // count 5, header size says 1 entry
  put_be64(wire.data() + 50, crc64(wire.data() + kHeaderSize, wire.size() - kHeaderSize));
  CHECK_THROWS_AS(decode_message(std::make_shared<Bytes>(wire), true), ProtocolError);
}

TEST_CASE("CRC mismatch is a CrcError, and passes when checking is off") {
  const std::uint8_t content[] = {0, 3, 0, 1, 'x'};
  Bytes wire = frame_message(Envelope{"STRING", "d"}, content, sizeof content);
  wire.back() ^= 1;
  auto shared = std::make_shared<Bytes>(wire);
  CHECK_THROWS_AS(decode_message(shared, true), CrcError);
  CHECK_NOTHROW(decode_message(shared, false));
}

TEST_CASE("timestamps convert to and from seconds") {
  CHECK(timestamp_from_seconds(1.0) == (1ULL << 32));
  CHECK(timestamp_from_seconds(215.102186) >> 32 == 215);
  CHECK(std::abs(timestamp_to_seconds(timestamp_from_seconds(215.102186)) - 215.102186) < 1e-9);
  CHECK(timestamp_to_seconds(timestamp_now()) > 1.7e9);
}
