#include "transport/message_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace igtb {

namespace {
constexpr std::size_t kReadBuffer = 64 * 1024;
constexpr int kPollMs = 200;  // how often a waiting reader looks at its stop flag
}  // namespace

MessageReader::MessageReader(Socket& socket, ReaderOptions options, std::string peer)
    : socket_(socket),
      opt_(std::move(options)),
      peer_(std::move(peer)),
      drops_(std::chrono::milliseconds(std::max(opt_.warn_interval_ms, 0))),
      buf_(kReadBuffer) {}

MessageReader::~MessageReader() { report_drops(true); }

void MessageReader::report_drops(bool final) noexcept {
  try {
    for (const auto& s : final ? drops_.flush() : drops_.due())
      spdlog::warn("{}: {} more message{} dropped for {} in the last {:g} s ({} in all{})", peer_, s.count,
                   s.count == 1 ? "" : "s", s.key, s.seconds_rounded(), s.total, final ? " on this connection" : "");
  } catch (...) {  // logging must not end a connection (nor throw from the destructor)
  }
}

bool MessageReader::read(std::uint8_t* dst, std::size_t n, const std::atomic<bool>& stop, bool in_message) {
  std::size_t got = std::min(n, tail_ - head_);
  std::memcpy(dst, buf_.data() + head_, got);
  head_ += got;
  auto last = std::chrono::steady_clock::now();
  while (got < n) {
    if (stop.load(std::memory_order_relaxed)) return false;
    std::size_t r;
    const std::size_t want = n - got;
    if (want >= buf_.size()) {
      r = socket_.recv_upto(dst + got, want, kPollMs);
      got += r;
    } else {
      head_ = 0;
      tail_ = socket_.recv_upto(buf_.data(), buf_.size(), kPollMs);
      r = std::min(want, tail_);
      std::memcpy(dst + got, buf_.data(), r);
      head_ = r;
      got += r;
    }
    if (r > 0) {
      last = std::chrono::steady_clock::now();
      continue;
    }
    report_drops(false);  // a quiet peer after a burst of bad messages: its summary comes now
    if ((in_message || got > 0) &&
        std::chrono::steady_clock::now() - last > std::chrono::milliseconds(opt_.stall_ms)) {
      throw SocketError("stalled: " + std::to_string(got) + " of " + std::to_string(n) + " bytes after " +
                        std::to_string(opt_.stall_ms) + " ms of silence");
    }
  }
  stats_.bytes += n;
  return true;
}

std::optional<Message> MessageReader::next(const std::atomic<bool>& stop) {
  for (;;) {
    report_drops(false);  // cheap while nothing is counted
    std::array<std::uint8_t, kHeaderSize> hb;
    // Between messages silence is normal (a frozen probe): no stall limit there.
    if (!read(hb.data(), hb.size(), stop, false)) return std::nullopt;
    const Header h = parse_header(hb.data());  // garbage -> ProtocolError -> connection closed
    if (h.body_size > opt_.max_message_bytes)
      throw ProtocolError(h.type + " '" + h.device + "' announces a body of " + std::to_string(h.body_size) +
                          " bytes, over max_message_bytes " + std::to_string(opt_.max_message_bytes));
    if (h.version > stats_.max_header_version) stats_.max_header_version = h.version;

    if (opt_.accept && !opt_.accept(h)) {
      std::array<std::uint8_t, 65536> scratch;
      std::uint64_t left = h.body_size;
      while (left > 0) {
        const std::size_t n = std::size_t(std::min<std::uint64_t>(left, scratch.size()));
        if (!read(scratch.data(), n, stop, true)) return std::nullopt;
        left -= n;
      }
      ++stats_.discarded;
      continue;
    }

    const std::size_t size = kHeaderSize + std::size_t(h.body_size);
    std::shared_ptr<Bytes> wire = opt_.buffer ? opt_.buffer(h, size) : nullptr;
    if (!wire)
      wire = std::make_shared<Bytes>(size);
    else if (wire->size() != size)
      throw std::logic_error("the reader's buffer source gave " + std::to_string(wire->size()) + " bytes for a message of " +
                             std::to_string(size));
    std::copy(hb.begin(), hb.end(), wire->begin());
    if (h.body_size > 0 && !read(wire->data() + kHeaderSize, h.body_size, stop, true)) return std::nullopt;
    try {
      Message m = decode_message(std::move(wire), opt_.check_crc);
      ++stats_.messages;
      return m;
    } catch (const CrcError& e) {
      ++stats_.crc_errors;
      if (drops_.should_log("CRC mismatch"))
        spdlog::warn("{}: {}; message dropped (further CRC mismatches on this connection are counted, "
                     "summarized every {:g} s)",
                     peer_, e.what(), drops_.interval_s());
    } catch (const ProtocolError& e) {
      // The framing (58 + body_size) held, so the stream is still in step.
      ++stats_.malformed;
      // One reason per message type and kind of error: the text without its numbers.
      if (drops_.should_log("malformed " + h.type + " (" + stable_reason(e.what()) + ")"))
        spdlog::warn("{}: {} '{}': {}; message dropped (further ones like it are counted, summarized every {:g} s)",
                     peer_, h.type, h.device, e.what(), drops_.interval_s());
    }
  }
}

PumpEnd pump_messages(MessageReader& reader, const std::atomic<bool>& stop, const MessageHandler& handler) {
  try {
    while (auto m = reader.next(stop)) handler(std::move(*m));
    return {};
  } catch (const ConnectionClosed& e) {
    return {e.what(), false};
  } catch (const std::exception& e) {
    return {e.what(), true};
  }
}

}  // namespace igtb
