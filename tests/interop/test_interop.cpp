// Interop with the reference OpenIGTLink 3.1 library (what 3D Slicer's
// OpenIGTLinkIF and PlusServer link), through igtl3_peer: a separate program
// built against that library alone (tests/interop/peer), run as a child
// process. It decodes what we write with the library's own Unpack(1) (CRC
// checked, both UNPACK_HEADER and UNPACK_BODY) and prints what it found as
// one JSON object per message; it packs messages with the library for our
// reader; over sockets it plays PlusServer (serve) and Slicer (client).
// The peer and the library are built with AddressSanitizer: a read past a
// message body aborts the peer, and the test fails.
#include "peer_support.hpp"

using namespace igtb;
using namespace igtb::interop_test;
using namespace std::chrono_literals;

TEST_CASE("interop: the reference library is the one under test") {
  const PeerRun r = run_peer("version");
  INFO(r.stderr_text);
  CHECK(r.exit_code == 0);
}

TEST_CASE("interop: everything the bridge writes is decoded by the reference library (in memory)") {
  const std::vector<Sent> sent = bridge_messages();
  std::vector<Bytes> wires;
  for (const auto& s : sent) wires.push_back(s.wire);
  const std::string path = temp_path("bridge_messages.igtl");
  write_file(path, wires);
  check_all(sent, run_peer("decode '" + path + "'"));
  // OpenIGTLinkIO's own path (the body into a generic message, then Copy() into the typed one).
  check_all(sent, run_peer("decode '" + path + "' --via-copy"));
}

TEST_CASE("interop: what the reference library packs is read by the bridge, and reframed content stays equal") {
  const std::string path = temp_path("reference_messages.igtl");
  const PeerRun made = run_peer("encode '" + path + "'");
  INFO(made.stderr_text);
  REQUIRE(made.exit_code == 0);
  REQUIRE(made.lines.size() >= 50);
  const std::string bytes = slurp(path);
  std::size_t at = 0;
  std::vector<Bytes> reframed;
  std::map<std::string, int> types;
  for (const YAML::Node& want : made.lines) {
    INFO(YAML::Dump(want));
    REQUIRE(want["ok"].as<bool>());
    REQUIRE(at + kHeaderSize <= bytes.size());
    const Header h = parse_header(reinterpret_cast<const std::uint8_t*>(bytes.data() + at));
    const std::size_t size = kHeaderSize + std::size_t(h.body_size);
    REQUIRE(at + size <= bytes.size());
    auto wire = std::make_shared<Bytes>(bytes.begin() + long(at), bytes.begin() + long(at + size));
    at += size;
    const Message m = decode_message(wire, true);
    ++types[m.type()];
    CHECK(m.type() == want["type"].as<std::string>());
    CHECK(m.device() == want["device"].as<std::string>());
    CHECK(m.header.version == want["header_version"].as<int>());
    CHECK(m.header.timestamp == want["timestamp"].as<std::uint64_t>());
    CHECK(as_map(m.metadata) == metadata_of(want));
    CHECK(content_problem(m).empty());
    if (m.type() == "IMAGE") {
      const ImageLayout l = decode_image_layout(m.content(), m.content_size);
      for (int i = 0; i < 3; ++i) CHECK(l.info.dims[i] == want["dims"][i].as<int>());
      CHECK(int(l.info.scalar) == want["scalar_type"].as<int>());
      CHECK(l.info.components == want["components"].as<int>());
      CHECK(l.big_endian == (want["endian"].as<int>() == 1));
      CHECK(l.info.coordinate == want["coordinate"].as<int>());
      for (int i = 0; i < 12; ++i) CHECK(close_to(l.info.matrix[std::size_t(i)], want["matrix12"][i].as<double>()));
      for (int i = 0; i < 3; ++i) {
        CHECK(l.info.subvolume_offset[std::size_t(i)] == want["subvolume_offset"][i].as<int>());
        CHECK(l.info.subvolume_size[std::size_t(i)] == want["subvolume_size"][i].as<int>());
      }
      CHECK(l.info.pixel_bytes() == want["pixel_bytes"].as<std::size_t>());
      CHECK(fnv1a(m.content() + l.pixel_offset, l.info.pixel_bytes()) == want["pixels_fnv1a"].as<std::string>());
      // Decoded to host order: swapped back element by element, the wire bytes again.
      Image img = decode_image(m);
      if (l.big_endian) {
        const std::size_t e = scalar_size(img.scalar);
        for (std::size_t i = 0; i + e <= img.pixels.size(); i += e) std::reverse(&img.pixels[i], &img.pixels[i + e]);
      }
      CHECK(fnv1a(img.pixels.data(), img.pixels.size()) == want["pixels_fnv1a"].as<std::string>());
    } else if (m.type() == "TRANSFORM") {
      const Matrix4f t = decode_transform(m);
      for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 3; ++r) CHECK(close_to(t[std::size_t(4 * r + c)], want["matrix12"][3 * c + r].as<double>()));
    } else if (m.type() == "STATUS") {
      const Status s = decode_status(m);
      CHECK(s.code == want["code"].as<int>());
      CHECK(s.subcode == want["subcode"].as<std::int64_t>());
      CHECK(s.error_name == want["error_name"].as<std::string>());
      CHECK(s.message == want["status_string"].as<std::string>());
    } else if (m.type() == "STRING") {
      const Text t = decode_string(m);
      CHECK(t.encoding == want["encoding"].as<int>());
      CHECK(t.text == want["string"].as<std::string>());
    } else if (m.type() == "POLYDATA") {
      check_polydata(want, decode_polydata(m));
    }
    // What the relay sends a client of the other header version.
    reframed.push_back(reframe(m, m.header.version >= 2 ? 1 : 2));
  }
  CHECK(at == bytes.size());
  for (const char* t : {"IMAGE", "TRANSFORM", "STATUS", "STRING", "POLYDATA"}) CHECK(types[t] > 0);

  // Reframed in the other header version, the reference library reads the same content.
  const std::string path2 = temp_path("reframed.igtl");
  write_file(path2, reframed);
  const PeerRun back = run_peer("decode '" + path2 + "'");
  INFO(back.stderr_text);
  REQUIRE(back.exit_code == 0);
  REQUIRE(back.lines.size() == made.lines.size());
  for (std::size_t i = 0; i < made.lines.size(); ++i) {
    const YAML::Node& a = made.lines[i];
    const YAML::Node& b = back.lines[i];
    INFO("message " << i << "\nreference: " << YAML::Dump(a) << "\nreframed: " << YAML::Dump(b));
    REQUIRE(b["ok"].as<bool>());
    CHECK(b["header_version"].as<int>() == 3 - a["header_version"].as<int>());
    // Version 1 has no place for metadata; version 2 keeps it.
    if (b["header_version"].as<int>() == 2) CHECK(metadata_of(a) == metadata_of(b));
    CHECK(YAML::Dump(content_only(a)) == YAML::Dump(content_only(b)));
  }
}
