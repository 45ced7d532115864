// Shared helpers for the fuzz targets: wrapping an input as a message content
// and a loud failure for broken invariants (a finding, like a crash).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "transport/message.hpp"

namespace igtb::fuzz {

/// Aborts with a message: libFuzzer (and the replay main) report it as a crash.
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant violated: %s (%s:%d)\n", what, file, line);
  std::abort();
}
#define IGTB_FUZZ_CHECK(cond) \
  do {                        \
    if (!(cond)) ::igtb::fuzz::invariant_failed(#cond, __FILE__, __LINE__); \
  } while (0)

/// The input as the content of a v1 message of `type`, decoded again the way a
/// receiver sees it (CRC checked: it must match, since we framed it).
inline Message message_from_content(const std::string& type, const std::uint8_t* data, std::size_t size) {
  Envelope env;
  env.type = type;
  env.device = "Fuzz";
  env.header_version = 1;
  auto wire = std::make_shared<const Bytes>(frame_message(env, data, size));
  Message m = decode_message(std::move(wire), true);
  IGTB_FUZZ_CHECK(m.content_size == size);
  return m;
}

/// Decodes an encoder's output again (for round trips).
inline Message redecode(Bytes wire) {
  return decode_message(std::make_shared<const Bytes>(std::move(wire)), true);
}

}  // namespace igtb::fuzz
