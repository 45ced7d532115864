#include "../support/catch.hpp"
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "core/rate_limited_log.hpp"
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

/// While alive, the default logger writes "<level> <message>" lines into a string.
struct LogCapture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  LogCapture() {
    auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  /// The lines so far that contain `part`.
  std::vector<std::string> lines_with(const std::string& part) {
    spdlog::default_logger()->flush();
    std::vector<std::string> found;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);)
      if (line.find(part) != std::string::npos) found.push_back(line);
    return found;
  }
};

/// A clock the test moves by hand.
struct FakeClock {
  RateLimitedLog::Clock::time_point t{std::chrono::hours(1)};
  RateLimitedLog::Now now() {
    return [this] { return t; };
  }
};

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

// --- rate-limited warnings -----------------------------------------------------

TEST_CASE("RateLimitedLog: the first occurrence of a key is logged, repeats counted and reported once per interval") {
  FakeClock clock;
  RateLimitedLog log(std::chrono::seconds(10), 256, clock.now());
  CHECK(log.should_log("crc"));
  for (int i = 0; i < 5; ++i) CHECK_FALSE(log.should_log("crc"));
  CHECK(log.suppressed("crc") == 5);
  CHECK(log.total("crc") == 6);
  CHECK(log.has_suppressed());
  CHECK(log.should_log("other"));  // each key has its own first line
  CHECK(log.suppressed("other") == 0);
  CHECK(log.suppressed("unknown") == 0);
  CHECK(log.total("unknown") == 0);

  clock.t += std::chrono::seconds(9);
  CHECK(log.due().empty());  // not yet: less than the interval since the first line
  clock.t += std::chrono::seconds(1);
  auto due = log.due();
  REQUIRE(due.size() == 1);
  CHECK(due[0].key == "crc");
  CHECK(due[0].count == 5);
  CHECK(due[0].total == 6);
  CHECK(due[0].seconds == Approx(10));
  CHECK(due[0].seconds_rounded() == 10);
  CHECK(log.suppressed("crc") == 0);
  CHECK_FALSE(log.has_suppressed());
  CHECK(log.due().empty());  // reported: nothing until the next occurrence

  // The next summary at most one interval after this one.
  clock.t += std::chrono::seconds(3);
  CHECK_FALSE(log.should_log("crc"));
  CHECK_FALSE(log.should_log("crc"));
  clock.t += std::chrono::seconds(6);
  CHECK(log.due().empty());
  clock.t += std::chrono::seconds(2);
  due = log.due();
  REQUIRE(due.size() == 1);
  CHECK(due[0].count == 2);
  CHECK(due[0].total == 8);
  CHECK(due[0].seconds == Approx(11));

  // A repeat long after the last line is due at once.
  clock.t += std::chrono::hours(1);
  CHECK_FALSE(log.should_log("other"));
  due = log.due();
  REQUIRE(due.size() == 1);
  CHECK(due[0].key == "other");
  CHECK(due[0].count == 1);
}

TEST_CASE("RateLimitedLog: flush hands back every count not reported yet, due or not") {
  FakeClock clock;
  RateLimitedLog log(std::chrono::seconds(10), 256, clock.now());
  CHECK(log.flush().empty());
  CHECK(log.should_log("a"));
  CHECK(log.should_log("b"));
  CHECK(log.should_log("c"));
  for (int i = 0; i < 3; ++i) CHECK_FALSE(log.should_log("a"));
  CHECK_FALSE(log.should_log("b"));
  clock.t += std::chrono::seconds(2);
  CHECK(log.due().empty());
  const auto rest = log.flush();
  REQUIRE(rest.size() == 2);  // "c" was logged and never repeated: nothing to say
  CHECK(rest[0].key == "a");
  CHECK(rest[0].count == 3);
  CHECK(rest[0].seconds == Approx(2));
  CHECK(rest[1].key == "b");
  CHECK(rest[1].count == 1);
  CHECK(log.flush().empty());
  CHECK_FALSE(log.has_suppressed());
}

TEST_CASE("RateLimitedLog: the number of keys is bounded, further keys share one overflow entry") {
  FakeClock clock;
  RateLimitedLog log(std::chrono::seconds(10), 4, clock.now());
  for (int i = 0; i < 4; ++i) CHECK(log.should_log("k" + std::to_string(i)));
  CHECK(log.should_log("k4"));  // the first beyond the bound is logged (under the overflow key)
  for (int i = 5; i < 1000; ++i) CHECK_FALSE(log.should_log("k" + std::to_string(i)));
  CHECK(log.keys() == 5);  // 4 + the overflow entry, however many keys came
  CHECK(log.total(std::string(RateLimitedLog::kOverflowKey)) == 996);
  CHECK(log.suppressed(std::string(RateLimitedLog::kOverflowKey)) == 995);
  CHECK(log.total("k500") == 0);
  CHECK_FALSE(log.should_log("k0"));  // the kept keys go on as before
  CHECK(log.suppressed("k0") == 1);
  clock.t += std::chrono::seconds(10);
  const auto due = log.due();
  REQUIRE(due.size() == 2);
  CHECK(due[0].key == "k0");
  CHECK(due[1].key == RateLimitedLog::kOverflowKey);
  CHECK(due[1].count == 995);
}

TEST_CASE("stable_reason blanks the numbers of an error text, so one kind of error gives one key") {
  CHECK(stable_reason("IMAGE 'a': CRC mismatch (header 123, body 98765)") ==
        "IMAGE 'a': CRC mismatch (header #, body #)");
  CHECK(stable_reason("CRC mismatch (header 1, body 2)") == stable_reason("CRC mismatch (header 77, body 0)"));
  CHECK(stable_reason("byte 0x1F here, 0xab") == "byte # here, #");
  CHECK(stable_reason("0x") == "#x");
  CHECK(stable_reason("IMAGE 640x480x1 x3 uint8") == "IMAGE #x#x# x# uint#");
  CHECK(stable_reason("dims 5x0x3") == stable_reason("dims 5x6x3"));
  CHECK(stable_reason("") == "");
  CHECK(stable_reason("no numbers") == "no numbers");
}

TEST_CASE("200 CRC mismatches among good messages: every good one arrives, all are counted, two log lines") {
  Pair p;
  const std::string peer = "peer-crc-flood";
  std::thread sender([&] {
    for (int i = 0; i < 200; ++i) {
      Bytes bad = text_message("bad", "bad " + std::to_string(i));
      bad.back() ^= 0x55;
      const Bytes good = text_message("good", std::to_string(i));
      p.a.send_all(bad.data(), bad.size());
      p.a.send_all(good.data(), good.size());
    }
  });
  LogCapture log;
  {
    MessageReader r(p.b, {}, peer);
    for (int i = 0; i < 200; ++i) {
      auto m = r.next(never);
      REQUIRE(m);
      CHECK(m->device() == "good");
      CHECK(decode_string(*m).text == std::to_string(i));
    }
    sender.join();
    CHECK(r.stats().crc_errors == 200);
    CHECK(r.stats().messages == 200);
    // While connected: only the first mismatch, in full (peer, type, device, the error).
    const auto lines = log.lines_with(peer);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("STRING 'bad': CRC mismatch") != std::string::npos);
    CHECK(lines[0].find("warning") == 0);
  }
  // The reader gone (the connection ended): one summary of the rest.
  const auto lines = log.lines_with(peer);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].find("199 more messages dropped for CRC mismatch") != std::string::npos);
  CHECK(lines[1].find("200 in all on this connection") != std::string::npos);
}

TEST_CASE("repeated drops are summarized once the interval has passed, also while the peer is quiet") {
  Pair p;
  const std::string peer = "peer-crc-summary";
  for (int i = 0; i < 5; ++i) {
    Bytes bad = text_message("bad", "x");
    bad.back() ^= 0x55;
    p.a.send_all(bad.data(), bad.size());
  }
  LogCapture log;
  ReaderOptions o;
  o.warn_interval_ms = 100;
  {
    MessageReader r(p.b, o, peer);
    std::atomic<bool> stop{false};
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
      stop = true;
    });
    CHECK_FALSE(r.next(stop));  // five bad messages, then silence until stopped
    stopper.join();
    CHECK(r.stats().crc_errors == 5);
    const auto lines = log.lines_with(peer);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find("CRC mismatch") != std::string::npos);
    CHECK(lines[0].find("summarized every 0.1 s") != std::string::npos);
    CHECK(lines[1].find("4 more messages dropped for CRC mismatch in the last") != std::string::npos);
  }
  CHECK(log.lines_with(peer).size() == 2);  // everything was reported: no final summary
}

TEST_CASE("malformed messages: one line per kind of error (not per value), then counted") {
  Pair p;
  const std::string peer = "peer-malformed";
  // Kind 1: a v3 extended header that does not fit (its size field varies: 3..7).
  // Kind 2: a version-2 header over a body shorter than the extended header.
  for (int i = 0; i < 30; ++i) {
    Bytes a = encode_string(Envelope{"STRING", "dev" + std::to_string(i % 3), 0, 2}, Text{3, "abc"});
    a[kHeaderSize + 1] = static_cast<std::uint8_t>(3 + i % 5);  // extended header size (low byte), < 12
    p.a.send_all(a.data(), a.size());
    Bytes b = frame_message(Envelope{"STRING", "short"}, reinterpret_cast<const std::uint8_t*>("abcdef"), 1 + i % 6);
    b[1] = 2;  // header version 2 (the 16-bit field's low byte)
    p.a.send_all(b.data(), b.size());
  }
  const Bytes good = text_message("good", "after");
  p.a.send_all(good.data(), good.size());
  LogCapture log;
  ReaderOptions o;
  o.check_crc = false;  // the edits above leave the CRC as it was
  {
    MessageReader r(p.b, o, peer);
    auto m = r.next(never);
    REQUIRE(m);
    CHECK(decode_string(*m).text == "after");
    CHECK(r.stats().malformed == 60);
    const auto lines = log.lines_with(peer);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find("STRING 'dev0': v3 extended header (size 3") != std::string::npos);
    CHECK(lines[1].find("STRING 'short': v3 body of 1 bytes is shorter") != std::string::npos);
  }
  const auto lines = log.lines_with(peer);
  REQUIRE(lines.size() == 4);
  CHECK(log.lines_with("29 more messages dropped for malformed STRING (v# extended header").size() == 1);
  CHECK(log.lines_with("29 more messages dropped for malformed STRING (v# body of # bytes").size() == 1);
}
