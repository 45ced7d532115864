// What is checked of a message's content before it is forwarded: the same
// decoders the bridge reads with, so that no peer is sent content that the
// reference library would reject or misread (an IMAGE whose pixel bytes do
// not match its dimensions, an unknown scalar type, a TRANSFORM that is not
// 48 bytes, a STRING whose length disagrees with its content...).
#pragma once

#include <string>

#include "transport/message.hpp"

namespace igtb {

/// Why the message's content is malformed for its type, or "" when it is
/// well formed. IMAGE, TRANSFORM, STATUS, STRING and POLYDATA are checked;
/// GET_STATUS and the other query types must have an empty content; any
/// other type is not checked ("").
std::string content_problem(const Message& m);

}  // namespace igtb
