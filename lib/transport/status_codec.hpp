// STATUS content <-> Status, through igtl::StatusMessage.
#pragma once

#include <string>

#include "transport/message.hpp"

namespace igtb {

struct Status {
  enum Code : std::uint16_t { Invalid = 0, Ok = 1, Unknown = 2, Panic = 3, NotFound = 4, AccessDenied = 5,
                              Busy = 6, TimeOut = 7, Overflow = 8, ChecksumError = 9, ConfigError = 10 };
  std::uint16_t code = Ok;
  std::int64_t subcode = 0;
  std::string error_name;  ///< at most 20 characters on the wire
  std::string message;
};

Status decode_status(const Message& msg);
Bytes encode_status(const Envelope& env, const Status& s);

}  // namespace igtb
