// Reads framed messages from a socket: limits checked before allocation,
// unwanted messages skipped without storing them, CRC mismatches and
// malformed messages dropped with a warning while the connection stays up.
// The warnings are rate-limited per connection and reason: the first of each
// reason is logged in full, repeats are counted and summarized at most once
// per warn_interval_ms, and what is still unreported when the reader goes
// (the connection ends) is summarized then. ReaderStats count every one.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/rate_limited_log.hpp"
#include "transport/message.hpp"
#include "transport/socket.hpp"

namespace igtb {

struct ReaderOptions {
  std::uint64_t max_message_bytes = 64ULL << 20;  ///< body size over this closes the connection
  bool check_crc = true;
  int stall_ms = 10000;  ///< silence in the middle of a message that closes the connection
  /// Dropped messages: the first of each reason (CRC mismatch, each kind of
  /// malformed message) is logged, repeats are summarized at most this often.
  int warn_interval_ms = 10000;
  /// Which messages to keep (type/device filter); others are read and discarded.
  std::function<bool(const Header&)> accept;
  /// Where a kept message is read into: a buffer of exactly `size` bytes
  /// (header and body), or null for a new one. The pipeline hands out
  /// page-locked buffers for IMAGEs here (BufferPool), so the frame's pixels
  /// reach the device straight from the message.
  std::function<std::shared_ptr<Bytes>(const Header&, std::size_t size)> buffer;
};

struct ReaderStats {
  std::uint64_t messages = 0;    ///< kept and handed on
  std::uint64_t bytes = 0;       ///< all bytes read
  std::uint64_t discarded = 0;   ///< not accepted by the filter
  std::uint64_t crc_errors = 0;  ///< dropped for a CRC mismatch
  std::uint64_t malformed = 0;   ///< dropped for a malformed v3 layout
  std::uint16_t max_header_version = 0;
};

class MessageReader {
 public:
  MessageReader(Socket& socket, ReaderOptions options, std::string peer);
  /// Logs the drops not summarized yet (one line per reason), if any.
  ~MessageReader();
  MessageReader(const MessageReader&) = delete;
  MessageReader& operator=(const MessageReader&) = delete;

  /// The next accepted message; nothing once stop is set. Throws
  /// ConnectionClosed on EOF, SocketError on I/O failure and ProtocolError
  /// when the stream can no longer be trusted (garbage or oversize header):
  /// each of those ends the connection.
  std::optional<Message> next(const std::atomic<bool>& stop);

  const ReaderStats& stats() const { return stats_; }

 private:
  /// Fills dst with n bytes from the buffer and the socket; false if stopped.
  /// in_message: a silence of stall_ms is an error (else only once a byte came).
  bool read(std::uint8_t* dst, std::size_t n, const std::atomic<bool>& stop, bool in_message);
  /// Logs the summaries of dropped messages that are due (all of them if final).
  void report_drops(bool final) noexcept;

  Socket& socket_;
  ReaderOptions opt_;
  std::string peer_;
  ReaderStats stats_;
  RateLimitedLog drops_;  ///< keys: "CRC mismatch", "malformed <type> (<error, numbers blanked>)"
  // Small messages and headers come through this buffer (one recv for many);
  // large bodies go straight from the socket into their own buffer.
  std::vector<std::uint8_t> buf_;
  std::size_t head_ = 0, tail_ = 0;
};

using MessageHandler = std::function<void(Message&&)>;

/// Why a connection's reading ended.
struct PumpEnd {
  std::string why;     ///< "" when stopped
  bool fault = false;  ///< the peer broke the protocol or the socket failed (not a plain close)
};

/// Reads until stop is set or the connection ends, handing each message to
/// handler. Never throws.
PumpEnd pump_messages(MessageReader& reader, const std::atomic<bool>& stop, const MessageHandler& handler);

}  // namespace igtb
