#include "transport/message_reader.hpp"

#include <spdlog/spdlog.h>

#include <array>

namespace igtb {

MessageReader::MessageReader(Socket& socket, ReaderOptions options, std::string peer)
    : socket_(socket), opt_(std::move(options)), peer_(std::move(peer)) {}

std::optional<Message> MessageReader::next(const std::atomic<bool>& stop) {
  for (;;) {
    std::array<std::uint8_t, kHeaderSize> hb;
    // Between messages silence is normal (a frozen probe): no stall limit there.
    if (!socket_.recv_exact(hb.data(), hb.size(), stop, opt_.stall_ms)) return std::nullopt;
    stats_.bytes += hb.size();
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
        if (!socket_.recv_exact(scratch.data(), n, stop, opt_.stall_ms)) return std::nullopt;
        left -= n;
      }
      stats_.bytes += h.body_size;
      ++stats_.discarded;
      continue;
    }

    auto wire = std::make_shared<Bytes>(kHeaderSize + std::size_t(h.body_size));
    std::copy(hb.begin(), hb.end(), wire->begin());
    if (h.body_size > 0 && !socket_.recv_exact(wire->data() + kHeaderSize, h.body_size, stop, opt_.stall_ms))
      return std::nullopt;
    stats_.bytes += h.body_size;
    try {
      Message m = decode_message(std::move(wire), opt_.check_crc);
      ++stats_.messages;
      return m;
    } catch (const CrcError& e) {
      ++stats_.crc_errors;
      spdlog::warn("{}: {}; message dropped", peer_, e.what());
    } catch (const ProtocolError& e) {
      // The framing (58 + body_size) held, so the stream is still in step.
      ++stats_.malformed;
      spdlog::warn("{}: {} '{}': {}; message dropped", peer_, h.type, h.device, e.what());
    }
  }
}

std::string pump_messages(MessageReader& reader, const std::atomic<bool>& stop, const MessageHandler& handler) {
  try {
    while (auto m = reader.next(stop)) handler(std::move(*m));
    return "";
  } catch (const ConnectionClosed& e) {
    return e.what();
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace igtb
