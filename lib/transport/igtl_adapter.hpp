// The bridge between our framing and Debian's OpenIGTLink 1.11 message
// classes: 1.11 only understands header version 1, so we hand it the content
// (the body without v3 extended header and metadata) under a v1 header.
#pragma once

#include <igtlMessageBase.h>

#include "transport/message.hpp"

namespace igtb {

/// Unpacks msg's content into m (an igtl::XxxMessage of the right type).
/// Throws ProtocolError naming the type and device if 1.11 rejects it.
void igtl_unpack(igtl::MessageBase& m, const Message& msg);
/// Same from raw content bytes.
void igtl_unpack(igtl::MessageBase& m, const std::string& type, const std::string& device,
                 const std::uint8_t* content, std::size_t size);

/// Packs m and appends its body (the content) to out.
void igtl_append_content(igtl::MessageBase& m, Bytes& out);

}  // namespace igtb
