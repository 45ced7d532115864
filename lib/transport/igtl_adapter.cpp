#include "transport/igtl_adapter.hpp"

#include <igtlMessageHeader.h>

#include <cstring>
#include <limits>

namespace igtb {

void igtl_unpack(igtl::MessageBase& m, const std::string& type, const std::string& device,
                 const std::uint8_t* content, std::size_t size) {
  if (size > std::size_t(std::numeric_limits<int>::max()))
    throw ProtocolError(type + " '" + device + "': content too large for OpenIGTLink 1.11");
  auto header = igtl::MessageHeader::New();
  header->InitPack();
  Header h;
  h.version = 1;
  h.type = type;
  h.device = device;
  h.body_size = size;
  write_header(h, static_cast<std::uint8_t*>(header->GetPackPointer()));
  header->Unpack();
  m.SetMessageHeader(header);
  m.AllocatePack();
  if (size) std::memcpy(m.GetPackBodyPointer(), content, size);
  const int r = m.Unpack(0);  // CRC is checked by our framing, over the whole body
  if (!(r & igtl::MessageBase::UNPACK_BODY))
    throw ProtocolError(type + " '" + device + "': OpenIGTLink could not unpack a " +
                        std::to_string(size) + "-byte content");
}

void igtl_unpack(igtl::MessageBase& m, const Message& msg) {
  igtl_unpack(m, msg.type(), msg.device(), msg.content(), msg.content_size);
}

void igtl_append_content(igtl::MessageBase& m, Bytes& out) {
  m.Pack();
  const auto* body = static_cast<const std::uint8_t*>(m.GetPackBodyPointer());
  out.insert(out.end(), body, body + m.GetPackBodySize());
}

}  // namespace igtb
