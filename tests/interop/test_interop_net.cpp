// Interop over sockets with the reference OpenIGTLink 3.1 library's peer
// (tests/interop/peer): PlusServer stand-in -> relay -> Slicer stand-ins,
// GET_STATUS and keep-alives, malformed content from upstream. See
// test_interop.cpp for how the peer is run.
#include "peer_support.hpp"

using namespace igtb;
using namespace igtb::interop_test;
using namespace std::chrono_literals;

namespace {

/// A Slicer stand-in (igtl3_peer client) in the background.
struct PeerClient {
  std::future<PeerRun> run;
  std::atomic<int> seen{0};
  PeerClient(std::uint16_t port, const std::string& extra) {
    run = std::async(std::launch::async, [this, port, extra] {
      return run_peer("client 127.0.0.1 " + std::to_string(port) + " " + extra, [this](const YAML::Node&) { ++seen; });
    });
  }
};

}  // namespace

TEST_CASE("interop: PlusServer stand-in -> relay -> Slicer stand-ins of header version 1 and 2, over sockets") {
  // The reference library serves its messages (every type, v1 and v2, with
  // metadata) like PlusServer; the relay forwards them; two clients built on
  // the reference library receive them, one that announces version 2 as
  // Slicer does and one that says nothing (version 1, PlusServer's rule).
  const std::uint16_t upstream_port = free_port();
  RelayOptions o;
  o.upstream.port = upstream_port;
  o.upstream.backoff_initial_s = 0.05;
  o.upstream.backoff_max_s = 0.1;
  o.downstream.port = 0;
  o.downstream.queue_messages = 1024;
  o.downstream.drop_when_full = false;
  Relay relay(o);
  relay.start();
  PeerClient slicer(relay.output_port(), "--hello-v2 --timeout-s 30 --count 1000000");
  PeerClient old(relay.output_port(), "--timeout-s 30 --count 1000000");
  REQUIRE(test::eventually([&] {
    const auto cs = relay.server().clients();
    int v1 = 0, v2 = 0;
    for (const auto& c : cs) ++(c.header_version == 2 ? v2 : v1);
    return v1 == 1 && v2 == 1;
  }, 10000ms));

  const PeerRun served = run_peer("serve " + std::to_string(upstream_port) + " --linger-s 1");
  INFO(served.stderr_text);
  REQUIRE(served.exit_code == 0);
  std::vector<YAML::Node> sent;
  for (const auto& n : served.lines)
    if (n["type"]) sent.push_back(n);
  REQUIRE(sent.size() >= 50);
  std::size_t forwarded = 0;  // IMAGE, TRANSFORM, STATUS and STRING are relayed; POLYDATA is not
  for (const auto& n : sent) {
    const std::string t = n["type"].as<std::string>();
    forwarded += (t == "IMAGE" || t == "TRANSFORM" || t == "STATUS" || t == "STRING") ? 1 : 0;
  }
  REQUIRE(test::eventually([&] { return std::size_t(slicer.seen.load()) >= forwarded && std::size_t(old.seen.load()) >= forwarded; },
                           15000ms));
  relay.stop();
  const PeerRun v2 = slicer.run.get();
  const PeerRun v1 = old.run.get();
  INFO(v2.stderr_text << v1.stderr_text);
  CHECK(v2.exit_code == 0);
  CHECK(v1.exit_code == 0);
  for (const auto* got : {&v1, &v2}) {
    const int version = got == &v1 ? 1 : 2;
    INFO("client of header version " << version);
    std::size_t i = 0;
    for (const auto& want : sent) {
      const std::string t = want["type"].as<std::string>();
      if (!(t == "IMAGE" || t == "TRANSFORM" || t == "STATUS" || t == "STRING")) continue;
      // Keep-alives (STATUS, empty device) may come between: skip them.
      while (i < got->lines.size() && got->lines[i]["type"].as<std::string>() == "STATUS" &&
             got->lines[i]["device"].as<std::string>().empty() && want["device"].as<std::string>() != "")
        ++i;
      REQUIRE(i < got->lines.size());
      const YAML::Node& a = want;
      const YAML::Node& b = got->lines[i++];
      INFO("sent: " << YAML::Dump(a) << "\nreceived: " << YAML::Dump(b));
      REQUIRE(b["ok"].as<bool>());
      CHECK(b["header_version"].as<int>() == version);
      if (version == 2) CHECK(metadata_of(a) == metadata_of(b));
      if (version == 1) CHECK(metadata_of(b).empty());
      CHECK(YAML::Dump(content_only(a)) == YAML::Dump(content_only(b)));
    }
  }
  const RelayStats st = relay.stats();
  CHECK(st.malformed == 0);
}

TEST_CASE("interop: GET_STATUS is answered and an idle client gets keep-alives, in its header version") {
  for (const bool v2 : {false, true}) {
    INFO((v2 ? "version 2 client" : "version 1 client"));
    ServerOptions o;
    o.port = 0;
    o.keepalive_s = 0.2;
    DownstreamServer server(o);
    server.start();
    const PeerRun r = run_peer("client 127.0.0.1 " + std::to_string(server.port()) +
                               (v2 ? " --hello-v2" : "") + " --get-status --device Query --timeout-s 1.5");
    INFO(r.stderr_text);
    REQUIRE(r.exit_code == 0);
    int replies = 0, keepalives = 0;
    for (const auto& n : r.lines) {
      INFO(YAML::Dump(n));
      REQUIRE(n["ok"].as<bool>());
      CHECK(n["type"].as<std::string>() == "STATUS");
      CHECK(n["code"].as<int>() == 1);
      CHECK(n["header_version"].as<int>() == (v2 ? 2 : 1));
      const std::string device = n["device"].as<std::string>();
      CHECK((device.empty() || device == "Query"));
      ++(device.empty() ? keepalives : replies);
    }
    CHECK(replies == 1);
    CHECK(keepalives >= 3);  // 1.5 s at 0.2 s
    const auto clients = server.clients();
    REQUIRE(clients.size() <= 1);
    if (!clients.empty()) {
      CHECK(clients[0].status_replies == 1);
      CHECK(clients[0].keepalives >= 3);
    }
    server.stop();
  }
}

TEST_CASE("interop: malformed content from upstream is dropped, not forwarded; good messages pass") {
  const std::uint16_t upstream_port = free_port();
  RelayOptions o;
  o.input_mode = "listen";
  o.upstream.port = upstream_port;
  o.downstream.port = 0;
  o.downstream.queue_messages = 64;
  o.downstream.keepalive_s = 0;  // the client counts 3 messages
  Relay relay(o);
  relay.start();
  PeerClient slicer(relay.output_port(), "--hello-v2 --timeout-s 20 --count 3");
  REQUIRE(test::eventually([&] { return relay.server().client_count() == 1; }, 10000ms));
  REQUIRE(test::eventually([&] { return relay.server().header_versions().v2; }, 10000ms));

  Socket s = Socket::connect_tcp("127.0.0.1", relay.input_port(), 2000);
  auto send = [&](const Bytes& b) { s.send_all(b.data(), b.size()); };
  const Image good = test_image(ScalarType::UInt8, 1, {9, 7, 1});
  // An unknown scalar type (9) and pixel bytes that do not match the dims.
  Bytes bad_scalar = encode_image(Envelope{"IMAGE", "Image_Reference", 0, 2}, good);
  bad_scalar[kHeaderSize + 12 + 3] = 9;
  Bytes short_pixels = encode_image(Envelope{"IMAGE", "Image_Reference", 0, 1}, good);
  short_pixels.pop_back();  // 62 of the 63 pixels, the framing made to agree
  put_be64(short_pixels.data() + 42, short_pixels.size() - kHeaderSize);
  // A TRANSFORM of 47 bytes.
  const std::uint8_t t47[47] = {};
  for (Bytes* b : {&bad_scalar, &short_pixels}) {  // CRC over the edited body: the framing holds
    const std::uint64_t crc = crc64(b->data() + kHeaderSize, b->size() - kHeaderSize);
    put_be64(b->data() + 50, crc);
  }
  for (int i = 0; i < 50; ++i) {
    send(bad_scalar);
    send(short_pixels);
    send(frame_message(Envelope{"TRANSFORM", "ProbeToReference", 0, 1}, t47, sizeof t47));
  }
  send(encode_image(Envelope{"IMAGE", "Image_Reference", 0, 1}, good));
  send(encode_string(Envelope{"STRING", "Note", 0, 2}, Text{3, "after the bad ones"}));
  send(encode_transform(Envelope{"TRANSFORM", "ProbeToReference", 0, 2},
                        Matrix4f{1, 0, 0, 1, 0, 1, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1}));
  const PeerRun r = slicer.run.get();
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.lines[0]["type"].as<std::string>() == "IMAGE");
  CHECK(r.lines[0]["pixels_fnv1a"].as<std::string>() == fnv1a(good.pixels.data(), good.pixels.size()));
  CHECK(r.lines[1]["string"].as<std::string>() == "after the bad ones");
  CHECK(r.lines[2]["type"].as<std::string>() == "TRANSFORM");
  for (const auto& n : r.lines) CHECK(n["ok"].as<bool>());
  CHECK(relay.stats().malformed == 150);
  relay.stop();
}
