// An allow-list of IPv4 peers: addresses ("10.0.0.7") and CIDR blocks
// ("192.168.1.0/24"). An empty list allows everyone (the bind address is then
// the only fence: 127.0.0.1 by default). Used at accept time by the output
// server and the upstream listener.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace igtb {

class AddressFilter {
 public:
  AddressFilter() = default;
  /// Throws std::invalid_argument naming the first entry that is not an
  /// IPv4 address or address/prefix (prefix 0..32).
  explicit AddressFilter(const std::vector<std::string>& entries) {
    for (const auto& e : entries) blocks_.push_back(parse(e));
  }

  bool empty() const { return blocks_.empty(); }

  /// `peer` is "a.b.c.d" or "a.b.c.d:port"; anything else is refused when the list is not empty.
  bool allows(const std::string& peer) const {
    if (blocks_.empty()) return true;
    std::uint32_t a = 0;
    if (!ipv4(peer.substr(0, peer.find(':')), a)) return false;
    for (const auto& b : blocks_)
      if ((a & b.mask) == b.network) return true;
    return false;
  }

  /// Empty if `entry` is valid, else why not.
  static std::string check(const std::string& entry) {
    try {
      parse(entry);
      return {};
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
  }

 private:
  struct Block {
    std::uint32_t network = 0, mask = 0;
  };

  static bool ipv4(const std::string& text, std::uint32_t& out) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
    out = ntohl(a.s_addr);
    return true;
  }

  static Block parse(const std::string& entry) {
    const auto slash = entry.find('/');
    std::uint32_t a = 0;
    if (!ipv4(entry.substr(0, slash), a))
      throw std::invalid_argument("'" + entry + "' is not an IPv4 address or address/prefix (e.g. 192.168.1.0/24)");
    int prefix = 32;
    if (slash != std::string::npos) {
      const std::string p = entry.substr(slash + 1);
      char* end = nullptr;
      const long v = p.empty() ? -1 : std::strtol(p.c_str(), &end, 10);
      if (p.empty() || *end != '\0' || v < 0 || v > 32)
        throw std::invalid_argument("'" + entry + "': the prefix length must be 0..32");
      prefix = int(v);
    }
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    return Block{a & mask, mask};
  }

  std::vector<Block> blocks_;
};

}  // namespace igtb
