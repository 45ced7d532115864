#include <catch2/catch.hpp>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "transport/message_reader.hpp"
#include "transport/status_codec.hpp"
#include "transport/string_codec.hpp"

using namespace igtb;

namespace {

struct Pair {
  Socket a, b;
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    a = Socket(fds[0]);
    b = Socket(fds[1]);
  }
};

Bytes text_message(const std::string& device, const std::string& text, std::uint16_t version = 1) {
  return encode_string(Envelope{"STRING", device, 0, version}, Text{3, text});
}

std::atomic<bool> never{false};

}  // namespace

TEST_CASE("reader returns messages in order, v1 and v3 mixed") {
  Pair p;
  const Bytes m1 = text_message("a", "one");
  const Bytes m2 = encode_string(Envelope{"STRING", "b", 0, 2, 9, {{"k", "v"}}}, Text{3, "two"});
  p.a.send_all(m1.data(), m1.size());
  p.a.send_all(m2.data(), m2.size());
  MessageReader r(p.b, {}, "test");
  auto x = r.next(never);
  auto y = r.next(never);
  REQUIRE(x);
  REQUIRE(y);
  CHECK(decode_string(*x).text == "one");
  CHECK(decode_string(*y).text == "two");
  CHECK(y->meta("k") == std::optional<std::string>("v"));
  CHECK(r.stats().max_header_version == 2);
}

TEST_CASE("a CRC mismatch drops that message and keeps the connection") {
  Pair p;
  Bytes bad = text_message("a", "bad");
  bad.back() ^= 0x55;
  const Bytes good = text_message("a", "good");
  p.a.send_all(bad.data(), bad.size());
  p.a.send_all(good.data(), good.size());
  MessageReader r(p.b, {}, "test");
  auto m = r.next(never);
  REQUIRE(m);
  CHECK(decode_string(*m).text == "good");
  CHECK(r.stats().crc_errors == 1);
}

TEST_CASE("CRC checking can be turned off per connection") {
  Pair p;
  Bytes bad = text_message("a", "bad");
  bad[kHeaderSize + 5] ^= 0x01;
  p.a.send_all(bad.data(), bad.size());
  ReaderOptions o;
  o.check_crc = false;
  MessageReader r(p.b, o, "test");
  auto m = r.next(never);
  REQUIRE(m);
  CHECK(r.stats().crc_errors == 0);
}

TEST_CASE("a header announcing more than max_message_bytes ends the connection before any allocation") {
  Pair p;
  Header h;
  h.type = "IMAGE";
  h.device = "huge";
  h.body_size = 1ULL << 40;  // 1 TiB: allocating it would throw bad_alloc, not ProtocolError
  std::uint8_t b[kHeaderSize];
  write_header(h, b);
  p.a.send_all(b, sizeof b);
  ReaderOptions o;
  o.max_message_bytes = 64ULL << 20;
  MessageReader r(p.b, o, "test");
  CHECK_THROWS_WITH(r.next(never), Catch::Contains("over max_message_bytes") && Catch::Contains("1099511627776"));
}

TEST_CASE("filtered-out and unknown types are read and discarded") {
  Pair p;
  const Bytes unknown = frame_message(Envelope{"FOOBAR", "x"}, reinterpret_cast<const std::uint8_t*>("abcdef"), 6);
  const Bytes other = text_message("skip", "no");
  const Bytes keep = text_message("keep", "yes");
  for (const auto* m : {&unknown, &other, &keep}) p.a.send_all(m->data(), m->size());
  ReaderOptions o;
  o.accept = [](const Header& h) { return h.type == "STRING" && h.device == "keep"; };
  MessageReader r(p.b, o, "test");
  auto m = r.next(never);
  REQUIRE(m);
  CHECK(m->device() == "keep");
  CHECK(r.stats().discarded == 2);
}

TEST_CASE("a kept message is read into the buffer its source gives; null means a new one") {
  Pair p;
  const Bytes m1 = text_message("pooled", "into the given buffer");
  const Bytes m2 = text_message("plain", "into a new buffer");
  p.a.send_all(m1.data(), m1.size());
  p.a.send_all(m2.data(), m2.size());
  auto given = std::make_shared<Bytes>(m1.size());
  ReaderOptions o;
  std::vector<std::size_t> asked;
  o.buffer = [&](const Header& h, std::size_t size) -> std::shared_ptr<Bytes> {
    asked.push_back(size);
    return h.device == "pooled" ? given : nullptr;
  };
  MessageReader r(p.b, o, "test");
  auto a = r.next(never);
  REQUIRE(a);
  CHECK(a->wire.get() == given.get());
  CHECK(*a->wire == m1);
  CHECK(decode_string(*a).text == "into the given buffer");
  auto b = r.next(never);
  REQUIRE(b);
  CHECK(b->wire.get() != given.get());
  CHECK(decode_string(*b).text == "into a new buffer");
  CHECK(asked == std::vector<std::size_t>{m1.size(), m2.size()});
}

TEST_CASE("a buffer source giving the wrong size ends the connection with the sizes") {
  Pair p;
  const Bytes m = text_message("x", "abc");
  p.a.send_all(m.data(), m.size());
  ReaderOptions o;
  o.buffer = [](const Header&, std::size_t size) { return std::make_shared<Bytes>(size - 1); };
  MessageReader r(p.b, o, "test");
  CHECK_THROWS_WITH(r.next(never), Catch::Contains("gave " + std::to_string(m.size() - 1) + " bytes"));
}

TEST_CASE("a zero-length body (bare STATUS) is returned at once, no hang") {
  Pair p;
  const Bytes bare = frame_message(Envelope{"STATUS", "x"}, nullptr, 0);
  p.a.send_all(bare.data(), bare.size());
  MessageReader r(p.b, {}, "test");
  const auto t0 = std::chrono::steady_clock::now();
  auto m = r.next(never);
  REQUIRE(m);
  CHECK(m->content_size == 0);
  CHECK(decode_status(*m).code == Status::Unknown);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
}

TEST_CASE("a truncated stream: EOF mid-body is ConnectionClosed, silence mid-body a stall error") {
  const Bytes m = text_message("a", "0123456789");
  SECTION("peer closes") {
    Pair p;
    p.a.send_all(m.data(), m.size() - 3);
    p.a.close();
    MessageReader r(p.b, {}, "test");
    CHECK_THROWS_AS(r.next(never), ConnectionClosed);
  }
  SECTION("peer goes silent") {
    Pair p;
    p.a.send_all(m.data(), m.size() - 3);
    ReaderOptions o;
    o.stall_ms = 300;
    MessageReader r(p.b, o, "test");
    CHECK_THROWS_WITH(r.next(never), Catch::Contains("stalled"));
  }
  SECTION("EOF between messages") {
    Pair p;
    p.a.close();
    MessageReader r(p.b, {}, "test");
    CHECK_THROWS_AS(r.next(never), ConnectionClosed);
  }
}

TEST_CASE("a garbage header ends the connection with a protocol error") {
  Pair p;
  Bytes junk(kHeaderSize, 0xAB);
  p.a.send_all(junk.data(), junk.size());
  MessageReader r(p.b, {}, "test");
  CHECK_THROWS_AS(r.next(never), ProtocolError);
}

TEST_CASE("a stop request ends a blocked read promptly") {
  Pair p;
  std::atomic<bool> stop{false};
  MessageReader r(p.b, {}, "test");
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(r.next(stop));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  t.join();
}
