// STRING content <-> text, through igtl::StringMessage.
#pragma once

#include <string>

#include "transport/message.hpp"

namespace igtb {

struct Text {
  std::uint16_t encoding = 3;  ///< IANA MIBenum; 3 = US-ASCII, 106 = UTF-8
  std::string text;
};

Text decode_string(const Message& msg);
Bytes encode_string(const Envelope& env, const Text& t);

}  // namespace igtb
