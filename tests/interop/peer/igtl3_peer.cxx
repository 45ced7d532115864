// igtl3_peer: the interop tests' "real peer".
//
// Links only the reference OpenIGTLink 3.1 library (never the bridge's code, never
// Debian's OpenIGTLink 1.11). It decodes OpenIGTLink streams the way the real
// receivers do (3D Slicer through OpenIGTLinkIO, PlusServer) and packs messages with
// the reference library for the bridge's reader.
//
// Modes:
//   igtl3_peer version
//   igtl3_peer decode FILE [--via-copy]
//   igtl3_peer encode FILE
//   igtl3_peer serve PORT [--interval-ms N] [--repeat N] [--linger-s S] [--accept-timeout-s S]
//   igtl3_peer client HOST PORT [--hello-v2] [--get-status] [--device NAME] [--count N]
//                    [--timeout-s S] [--connect-timeout-s S] [--raw FILE] [--via-copy]
//
// Output: one JSON object per line on stdout, flushed per line (see PrintUsage and
// DecodeMessage for the fields). Fatal errors: one JSON line {"error":...} on stderr.
// Exit codes: 0 ok; 2 I/O error, truncated stream, body over 256 MiB; 3 could not
// connect / no client; 64 usage. An AddressSanitizer report exits with ASan's code
// (1 unless ASAN_OPTIONS says otherwise).

#include <igtlClientSocket.h>
#include <igtlImageMessage.h>
#include <igtlMath.h>
#include <igtlMessageBase.h>
#include <igtlMessageFactory.h>
#include <igtlMessageHeader.h>
#include <igtlPolyDataMessage.h>
#include <igtlServerSocket.h>
#include <igtlStatusMessage.h>
#include <igtlStringMessage.h>
#include <igtlTransformMessage.h>
#include <igtl_header.h>
#include <igtl_image.h>
#include <igtl_util.h>

#include <chrono>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdint.h>
#include <string>
#include <thread>
#include <vector>

#if !defined(OpenIGTLink_HEADER_VERSION) || OpenIGTLink_HEADER_VERSION < 2
#error "igtl3_peer needs the reference OpenIGTLink built with OpenIGTLink_PROTOCOL_VERSION_3 (header version 2)"
#endif

#ifndef IGTL3_PEER_LIB_VERSION
#define IGTL3_PEER_LIB_VERSION "unknown"
#endif
#ifndef IGTL3_PEER_PROTOCOL_VERSION
#define IGTL3_PEER_PROTOCOL_VERSION OpenIGTLink_PROTOCOL_VERSION
#endif

#if defined(IGTL3_PEER_ASAN)
// The reference library leaks in a few places that have nothing to do with what the
// interop tests look for (PolyDataMessage::UnpackContent never frees the
// igtl_polydata_info that igtl_polydata_unpack allocates). Keep LeakSanitizer on for
// everything else, but don't let those known leaks turn a clean run into a failure.
// Heap-buffer-overflows etc. still abort as usual.
// Fill every fresh heap block with ASan's malloc_fill_byte (0xbe), not just the first
// 4 KiB: with --via-copy (OpenIGTLinkIO's path) a read past the body lands in the
// uninitialised slack that Copy() allocates, and this keeps what it sees deterministic.
extern "C" __attribute__((used, visibility("default"))) const char* __asan_default_options()
{
  return "max_malloc_fill_size=2147483647";
}
extern "C" __attribute__((used, visibility("default"))) const char* __lsan_default_options()
{
  return "print_suppressions=0";
}
extern "C" __attribute__((used, visibility("default"))) const char* __lsan_default_suppressions()
{
  return "leak:igtl_polydata_alloc_info\n"
         "leak:igtl::PolyDataMessage::UnpackContent\n";
}
#endif

namespace
{

const uint64_t kMaxBodySize = 256ull * 1024ull * 1024ull; // 256 MiB
const int kExitOk = 0;
const int kExitIo = 2;
const int kExitConnect = 3;
const int kExitUsage = 64;

// ---------------------------------------------------------------------------------
// JSON helpers
// ---------------------------------------------------------------------------------

// Length of a valid UTF-8 sequence starting at s[i] (2..4), 0 if invalid. Decoded
// code point in *cp.
size_t Utf8SequenceLength(const std::string& s, size_t i, uint32_t* cp)
{
  const size_t n = s.size();
  const unsigned char c0 = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t v = 0;
  uint32_t min = 0;
  if (c0 >= 0xC2 && c0 <= 0xDF) { len = 2; v = c0 & 0x1F; min = 0x80; }
  else if (c0 >= 0xE0 && c0 <= 0xEF) { len = 3; v = c0 & 0x0F; min = 0x800; }
  else if (c0 >= 0xF0 && c0 <= 0xF4) { len = 4; v = c0 & 0x07; min = 0x10000; }
  else { return 0; }
  if (i + len > n) { return 0; }
  for (size_t k = 1; k < len; ++k)
  {
    const unsigned char c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) { return 0; }
    v = (v << 6) | (c & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { return 0; }
  *cp = v;
  return len;
}

void AppendEscapedCodeUnit(std::string& out, uint32_t u)
{
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(u & 0xFFFF));
  out += buf;
}

// JSON (and YAML-safe) string: '"' and '\\' escaped, C0 controls, DEL, C1 controls,
// U+FEFF, U+FFFE, U+FFFF as \uXXXX; valid UTF-8 passed through; a byte that is not
// part of valid UTF-8 is written as \u00XX (its Latin-1 reading).
void AppendJsonString(std::string& out, const std::string& s)
{
  out += '"';
  size_t i = 0;
  while (i < s.size())
  {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') { out += "\\\""; ++i; }
    else if (c == '\\') { out += "\\\\"; ++i; }
    else if (c < 0x20 || c == 0x7F) { AppendEscapedCodeUnit(out, c); ++i; }
    else if (c < 0x80) { out += static_cast<char>(c); ++i; }
    else
    {
      uint32_t cp = 0;
      const size_t len = Utf8SequenceLength(s, i, &cp);
      if (len == 0) { AppendEscapedCodeUnit(out, c); ++i; }
      else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
      {
        AppendEscapedCodeUnit(out, cp);
        i += len;
      }
      else { out.append(s, i, len); i += len; }
    }
  }
  out += '"';
}

std::string JsonString(const std::string& s)
{
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string JsonFloat(float f)
{
  if (!std::isfinite(f)) { return "null"; }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(f));
  return buf;
}

std::string JsonDouble(double d)
{
  if (!std::isfinite(d)) { return "null"; }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

std::string Seconds(double s)
{
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", s);
  return buf;
}

std::string JsonU64(uint64_t v)
{
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(v));
  return buf;
}

std::string JsonI64(int64_t v)
{
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
  return buf;
}

void PrintLine(const std::string& line)
{
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void PrintError(const std::string& message)
{
  std::string line = "{\"error\":";
  AppendJsonString(line, message);
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

uint64_t Fnv1a64(const unsigned char* data, uint64_t n)
{
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < n; ++i)
  {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string Hex16(uint64_t v)
{
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint16_t ReadBE16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t ReadBE32(const unsigned char* p)
{
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
uint64_t ReadBE64(const unsigned char* p)
{
  return (static_cast<uint64_t>(ReadBE32(p)) << 32) | ReadBE32(p + 4);
}

// Scalar sizes of the IMAGE scalar types (igtl numbering); 0 for undefined types.
// (ImageMessage::GetScalarSize() indexes a 12-entry table with the wire value.)
int ScalarSize(int t)
{
  switch (t)
  {
    case 2: case 3: return 1;
    case 4: case 5: return 2;
    case 6: case 7: case 10: return 4;
    case 11: return 8;
    default: return 0;
  }
}

// ---------------------------------------------------------------------------------
// Decoding one message, as the real receivers do
// ---------------------------------------------------------------------------------

enum DecodePath
{
  // PlusServer / OpenIGTLink examples: a message of the header's type,
  // SetMessageHeader(header), AllocateBuffer() (== AllocatePack()), body received
  // into GetBufferBodyPointer() (GetBufferBodySize() bytes), Unpack(1). This is what
  // igtl::MessageFactory::CreateReceiveMessage() does (used by PlusLib's
  // vtkPlusOpenIGTLinkServer / vtkPlusOpenIGTLinkClient).
  PATH_DIRECT,
  // 3D Slicer / OpenIGTLinkIO: igtlioConnector::ReceiveController()
  // (Logic/igtlioConnector.cxx, IGSIO/OpenIGTLinkIO) receives the body into a generic
  // igtl::MessageBase from the circular buffer after SetMessageHeader(headerMsg) +
  // AllocatePack(); the device converter (e.g. igtlioImageConverter::fromIGTL) then
  // does typedMsg->Copy(buffer) and typedMsg->Unpack(checkCRC) and drops the message
  // unless UNPACK_BODY is set. Copy() allocates the typed message with room for the
  // v2 extended header and an empty metadata header on top of the body, so reads a
  // few bytes past the body land in that (uninitialised) slack instead of past the
  // allocation.
  PATH_VIA_COPY
};

const igtl::MessageFactory* Factory()
{
  static igtl::MessageFactory::Pointer factory = igtl::MessageFactory::New();
  return factory.GetPointer();
}

bool IsQueryType(const std::string& type)
{
  return type.compare(0, 4, "GET_") == 0 || type.compare(0, 4, "STP_") == 0;
}

void AppendFloatArray(std::string& out, const float* v, size_t n)
{
  out += '[';
  for (size_t i = 0; i < n; ++i)
  {
    if (i) { out += ','; }
    out += JsonFloat(v[i]);
  }
  out += ']';
}

void AppendIntArray(std::string& out, const int* v, size_t n)
{
  out += '[';
  for (size_t i = 0; i < n; ++i)
  {
    if (i) { out += ','; }
    out += JsonI64(v[i]);
  }
  out += ']';
}

void AppendCells(std::string& out, const char* key, igtl::PolyDataCellArray* cells)
{
  out += ",\"";
  out += key;
  out += "\":[";
  if (cells)
  {
    const igtlUint32 n = cells->GetNumberOfCells();
    for (igtlUint32 c = 0; c < n; ++c)
    {
      if (c) { out += ','; }
      igtl::PolyDataCellArray::Cell cell;
      cells->GetCell(c, cell);
      out += '[';
      bool first = true;
      for (igtl::PolyDataCellArray::Cell::const_iterator it = cell.begin(); it != cell.end(); ++it)
      {
        if (!first) { out += ','; }
        first = false;
        out += JsonU64(*it);
      }
      out += ']';
    }
  }
  out += ']';
}

struct DecodeInput
{
  const unsigned char* header;  // IGTL_HEADER_SIZE raw (network order) bytes
  const unsigned char* body;    // body_size raw bytes
  uint64_t bodySize;
};

// Decodes one complete message and returns its JSON line.
std::string DecodeMessage(const DecodeInput& in, DecodePath path)
{
  // 1. The 58-byte header into an igtl::MessageHeader, Unpack()ed (no CRC: there is no
  //    body yet), exactly like ReceiveController / PlusServer.
  igtl::MessageHeader::Pointer header = igtl::MessageHeader::New();
  header->InitPack();
  std::memcpy(header->GetPackPointer(), in.header, IGTL_HEADER_SIZE);
  const int headerResult = header->Unpack();

  const std::string type = header->GetMessageType();
  const std::string device = header->GetDeviceName();
  const unsigned short headerVersion = header->GetHeaderVersion();
  const uint64_t wireBodySize = ReadBE64(in.header + 42);
  const uint64_t wireCrc = ReadBE64(in.header + 50);
  const uint64_t timestamp = ReadBE64(in.header + 34);

  std::string error;
  int unpack = 0;
  bool bodySkipped = false;

  // 2. A message object of that type.
  igtl::MessageFactory::PointerToMessageBaseNew newFn = Factory()->GetMessageTypeNewPointer(type);
  igtl::MessageBase::Pointer msg = newFn ? newFn() : igtl::MessageBase::New();
  if (!newFn)
  {
    error = "message type not known to the reference igtl::MessageFactory";
  }

  bool prepared = true;
  if (!(headerResult & igtl::MessageHeader::UNPACK_HEADER))
  {
    error = "header unpack failed";
    prepared = false;
  }
  else if (path == PATH_DIRECT)
  {
    // 3. SetMessageHeader(header) + AllocateBuffer(), copy exactly body_size bytes into
    //    GetBufferBodyPointer().
    if (!msg->SetMessageHeader(header))
    {
      error = "SetMessageHeader() refused the header";
      prepared = false;
    }
    else
    {
      msg->AllocateBuffer();
      const uint64_t allocated = msg->GetBufferBodySize();
      unsigned char* dst = static_cast<unsigned char*>(msg->GetBufferBodyPointer());
      const uint64_t n = in.bodySize < allocated ? in.bodySize : allocated;
      if (n > 0) { std::memcpy(dst, in.body, n); }
      if (allocated > n) { std::memset(dst + n, 0, allocated - n); }
      if (allocated != in.bodySize)
      {
        error = "reference library allocates a body of " + JsonU64(allocated) +
                " bytes for this header (body_size " + JsonU64(in.bodySize) +
                "); a real receiver would read past this message";
      }
    }
  }
  else
  {
    igtl::MessageBase::Pointer buffer = igtl::MessageBase::New();
    buffer->InitBuffer();
    if (!buffer->SetMessageHeader(header))
    {
      error = "SetMessageHeader() refused the header";
      prepared = false;
    }
    else
    {
      buffer->AllocatePack();
      const uint64_t allocated = buffer->GetPackBodySize();
      unsigned char* dst = static_cast<unsigned char*>(buffer->GetPackBodyPointer());
      const uint64_t n = in.bodySize < allocated ? in.bodySize : allocated;
      if (n > 0) { std::memcpy(dst, in.body, n); }
      if (allocated > n) { std::memset(dst + n, 0, allocated - n); }
      if (allocated != in.bodySize)
      {
        error = "reference library allocates a body of " + JsonU64(allocated) +
                " bytes for this header (body_size " + JsonU64(in.bodySize) +
                "); a real receiver would read past this message";
      }
      if (newFn)
      {
        if (!msg->Copy(buffer))
        {
          error = "Copy() from the received buffer failed";
          prepared = false;
        }
      }
      else
      {
        msg = buffer;
      }
    }
  }

  // 4. Unpack(1): CRC checked.
  if (prepared)
  {
    unpack = msg->Unpack(1);
  }

  // SetMessageHeader() copies the header's "already unpacked" state, so the message's
  // own Unpack(1) only ever adds UNPACK_BODY (it returns 2 for a good message; PlusServer
  // and OpenIGTLinkIO test only UNPACK_BODY). "unpack" is therefore reported as the
  // union of the two Unpack() calls of the receive path: the MessageHeader's Unpack()
  // (UNPACK_HEADER) and the message's Unpack(1) (UNPACK_BODY); both raw results are
  // printed as header_unpack and message_unpack.
  const int messageUnpack = unpack;
  unpack = (headerResult & igtl::MessageHeader::UNPACK_HEADER) | messageUnpack;
  const bool hdrOk = (unpack & igtl::MessageHeader::UNPACK_HEADER) != 0;
  const bool bodyOk = (unpack & igtl::MessageHeader::UNPACK_BODY) != 0;
  // The reference library never attempts to unpack an empty body (v1: 0 bytes; v2:
  // exactly the 12-byte extended header + 2-byte metadata index count), so a
  // body-less query message (GET_*, STP_*) never gets UNPACK_BODY.
  if (hdrOk && !bodyOk && prepared && IsQueryType(type) &&
      ((headerVersion < 2 && in.bodySize == 0) || (headerVersion == 2 && in.bodySize == 14)))
  {
    bodySkipped = true;
  }
  bool ok = hdrOk && (bodyOk || bodySkipped) && error.empty();

  // CRC as the library computes it, for the error text / crc_ok.
  const uint64_t crc = crc64(const_cast<unsigned char*>(in.body), in.bodySize, 0ull);
  const bool crcOk = (crc == wireCrc);

  if (error.empty() && !ok)
  {
    if (!hdrOk) { error = "header unpack failed"; }
    else if (!crcOk) { error = "CRC mismatch"; }
    else if (headerVersion >= 2 && in.bodySize <= 14) { error = "version-2 body too short (<= 14 bytes): reference library did not unpack it"; }
    else { error = "body unpack failed (extended header, content or metadata rejected by the reference library)"; }
  }

  // Content checks that need more than the library's own result.
  std::string content;
  if (ok && type == "IMAGE")
  {
    igtl::ImageMessage* img = dynamic_cast<igtl::ImageMessage*>(msg.GetPointer());
    if (img)
    {
      int dims[3], svSize[3], svOff[3];
      float spacing[3];
      img->GetDimensions(dims);
      img->GetSubVolume(svSize, svOff);
      img->GetSpacing(spacing);
      const int scalarType = img->GetScalarType();
      const int comps = img->GetNumComponents();
      const int ssize = ScalarSize(scalarType);
      const unsigned char* pixels = static_cast<const unsigned char*>(img->GetScalarPointer());
      const unsigned char* bodyPtr = static_cast<const unsigned char*>(msg->GetBufferBodyPointer());
      const uint64_t bodyLen = msg->GetBufferBodySize();

      // Where the image header sits (in host order after UnpackContent()).
      const unsigned char* imageHeader = pixels ? pixels - IGTL_IMAGE_HEADER_SIZE : NULL;

      // End of the content region: the body minus the v2 metadata (as declared).
      uint64_t contentEnd = bodyLen;
      if (headerVersion == 2 && in.bodySize >= 12)
      {
        const uint64_t mdh = ReadBE16(in.body + 2);
        const uint64_t md = ReadBE32(in.body + 4);
        if (mdh + md <= bodyLen) { contentEnd = bodyLen - mdh - md; }
      }

      uint64_t pixelBytes = 0;
      bool sizeOverflow = false;
      {
        uint64_t n = static_cast<uint64_t>(ssize) * static_cast<uint64_t>(comps < 0 ? 0 : comps);
        for (int k = 0; k < 3; ++k)
        {
          const uint64_t d = svSize[k] < 0 ? 0 : static_cast<uint64_t>(svSize[k]);
          if (d != 0 && n > (~0ull) / d) { sizeOverflow = true; }
          n *= d;
        }
        pixelBytes = n;
      }

      const uintptr_t b = reinterpret_cast<uintptr_t>(bodyPtr);
      const uintptr_t p = reinterpret_cast<uintptr_t>(pixels);
      if (ssize == 0)
      {
        error = "unknown IMAGE scalar type " + JsonI64(scalarType);
      }
      else if (!pixels || !bodyPtr || !imageHeader || p < b + IGTL_IMAGE_HEADER_SIZE || p > b + bodyLen)
      {
        error = "IMAGE pixel pointer outside the message body";
      }
      else if (sizeOverflow || pixelBytes > contentEnd || (p - b) > contentEnd - pixelBytes)
      {
        error = "IMAGE pixel data (" + JsonU64(pixelBytes) + " bytes) extends past the message content (" +
                JsonU64(contentEnd - (p - b)) + " bytes available)";
      }
      else
      {
        const igtl_image_header* ih = reinterpret_cast<const igtl_image_header*>(imageHeader);
        content += ",\"dims\":";
        AppendIntArray(content, dims, 3);
        content += ",\"scalar_type\":" + JsonI64(scalarType);
        content += ",\"components\":" + JsonI64(comps);
        content += ",\"endian\":" + JsonI64(img->GetEndian());
        content += ",\"coordinate\":" + JsonI64(img->GetCoordinateSystem());
        content += ",\"spacing\":";
        AppendFloatArray(content, spacing, 3);
        content += ",\"matrix12\":";
        AppendFloatArray(content, ih->matrix, 12);
        content += ",\"subvolume_offset\":";
        AppendIntArray(content, svOff, 3);
        content += ",\"subvolume_size\":";
        AppendIntArray(content, svSize, 3);
        content += ",\"pixel_bytes\":" + JsonU64(pixelBytes);
        content += ",\"pixels_fnv1a\":\"" + Hex16(Fnv1a64(pixels, pixelBytes)) + "\"";
      }
    }
    else
    {
      error = "internal: IMAGE message is not an igtl::ImageMessage";
    }
  }
  else if (ok && type == "TRANSFORM")
  {
    igtl::TransformMessage* tm = dynamic_cast<igtl::TransformMessage*>(msg.GetPointer());
    if (tm)
    {
      igtl::Matrix4x4 m;
      tm->GetMatrix(m);
      float v[12];
      for (int c = 0; c < 4; ++c)
      {
        for (int r = 0; r < 3; ++r) { v[c * 3 + r] = m[r][c]; }
      }
      content += ",\"matrix12\":";
      AppendFloatArray(content, v, 12);
    }
    else
    {
      error = "internal: TRANSFORM message is not an igtl::TransformMessage";
    }
  }
  else if (ok && type == "STATUS")
  {
    igtl::StatusMessage* sm = dynamic_cast<igtl::StatusMessage*>(msg.GetPointer());
    if (sm)
    {
      // The error name is a 20-byte field that need not be NUL-terminated (igtl_status.h,
      // IGTL_STATUS_ERROR_NAME_LENGTH, is not installed by the reference library).
      const char* en = sm->GetErrorName();
      size_t enLen = 0;
      while (enLen < 20 && en[enLen] != '\0') { ++enLen; }
      content += ",\"code\":" + JsonI64(sm->GetCode());
      content += ",\"subcode\":" + JsonI64(static_cast<int64_t>(sm->GetSubCode()));
      content += ",\"error_name\":" + JsonString(std::string(en, enLen));
      content += ",\"status_string\":" + JsonString(sm->GetStatusString());
    }
    else
    {
      error = "internal: STATUS message is not an igtl::StatusMessage";
    }
  }
  else if (ok && type == "STRING")
  {
    igtl::StringMessage* st = dynamic_cast<igtl::StringMessage*>(msg.GetPointer());
    if (st)
    {
      content += ",\"encoding\":" + JsonI64(st->GetEncoding());
      content += ",\"string\":" + JsonString(st->GetString());
    }
    else
    {
      error = "internal: STRING message is not an igtl::StringMessage";
    }
  }
  else if (ok && type == "POLYDATA")
  {
    igtl::PolyDataMessage* pd = dynamic_cast<igtl::PolyDataMessage*>(msg.GetPointer());
    if (pd)
    {
      content += ",\"points\":[";
      igtl::PolyDataPointArray* pts = pd->GetPoints();
      if (pts)
      {
        const int np = pts->GetNumberOfPoints();
        for (int i = 0; i < np; ++i)
        {
          float xyz[3] = {0.f, 0.f, 0.f};
          pts->GetPoint(static_cast<unsigned int>(i), xyz);
          if (i) { content += ','; }
          AppendFloatArray(content, xyz, 3);
        }
      }
      content += ']';
      AppendCells(content, "vertices", pd->GetVertices());
      AppendCells(content, "lines", pd->GetLines());
      AppendCells(content, "polygons", pd->GetPolygons());
      AppendCells(content, "strips", pd->GetTriangleStrips());
      content += ",\"attributes\":[";
      const int na = pd->GetNumberOfAttributes();
      for (int a = 0; a < na; ++a)
      {
        igtl::PolyDataAttribute* att = pd->GetAttribute(static_cast<igtl::PolyDataMessage::AttributeList::size_type>(a));
        if (a) { content += ','; }
        if (!att) { content += "null"; continue; }
        content += "{\"type\":" + JsonI64(att->GetType());
        content += ",\"name\":" + JsonString(att->GetName());
        content += ",\"components\":" + JsonU64(att->GetNumberOfComponents());
        content += ",\"size\":" + JsonU64(att->GetSize());
        content += ",\"data\":[";
        bool first = true;
        for (std::vector<igtlFloat32>::const_iterator it = att->begin(); it != att->end(); ++it)
        {
          if (!first) { content += ','; }
          first = false;
          content += JsonFloat(*it);
        }
        content += "]}";
      }
      content += ']';
    }
    else
    {
      error = "internal: POLYDATA message is not an igtl::PolyDataMessage";
    }
  }
  if (!error.empty())
  {
    ok = false;
  }

  std::string line = "{\"type\":";
  AppendJsonString(line, type);
  line += ",\"device\":";
  AppendJsonString(line, device);
  line += ",\"header_version\":" + JsonU64(headerVersion);
  line += ",\"timestamp\":" + JsonU64(timestamp);
  line += ",\"body_size\":" + JsonU64(wireBodySize);
  line += ",\"unpack\":" + JsonI64(unpack);
  line += ",\"header_unpack\":" + JsonI64(headerResult);
  line += ",\"message_unpack\":" + JsonI64(messageUnpack);
  line += ",\"ok\":";
  line += ok ? "true" : "false";
  line += ",\"crc_ok\":";
  line += crcOk ? "true" : "false";
  if (bodySkipped) { line += ",\"body_skipped\":true"; }
  line += ",\"message_id\":" + JsonU64(headerVersion == 2 ? msg->GetMessageID() : 0);
  if (headerVersion == 2 && in.bodySize >= 12)
  {
    line += ",\"ext_header\":{\"ext_header_size\":" + JsonU64(ReadBE16(in.body));
    line += ",\"metadata_header_size\":" + JsonU64(ReadBE16(in.body + 2));
    line += ",\"metadata_size\":" + JsonU64(ReadBE32(in.body + 4));
    line += ",\"message_id\":" + JsonU64(ReadBE32(in.body + 8)) + "}";
  }
  const igtl::MessageBase::MetaDataMap emptyMap;
  const igtl::MessageBase::MetaDataMap& md = headerVersion == 2 ? msg->GetMetaData() : emptyMap;
  line += ",\"metadata_count\":" + JsonU64(md.size());
  line += ",\"metadata\":{";
  std::string encodings = ",\"metadata_encoding\":{";
  bool first = true;
  for (igtl::MessageBase::MetaDataMap::const_iterator it = md.begin(); it != md.end(); ++it)
  {
    if (!first) { line += ','; encodings += ','; }
    first = false;
    AppendJsonString(line, it->first);
    line += ':';
    AppendJsonString(line, it->second.second);
    AppendJsonString(encodings, it->first);
    encodings += ':' + JsonI64(static_cast<int>(it->second.first));
  }
  line += '}';
  line += encodings + '}';
  if (ok)
  {
    line += content;
  }
  else
  {
    line += ",\"error\":";
    AppendJsonString(line, error);
  }
  line += '}';
  return line;
}

// ---------------------------------------------------------------------------------
// The deterministic message set (encode / serve)
// ---------------------------------------------------------------------------------

enum HeaderMode { HV1, HV2, HV2M };

const char* ModeTag(HeaderMode m) { return m == HV1 ? "v1" : (m == HV2 ? "v2" : "v2m"); }

struct EncodedMessage
{
  std::vector<unsigned char> bytes;
};

void ApplyCommon(igtl::MessageBase* msg, const std::string& device, HeaderMode mode, unsigned index)
{
  msg->SetHeaderVersion(mode == HV1 ? IGTL_HEADER_VERSION_1 : IGTL_HEADER_VERSION_2);
  msg->SetDeviceName(device);
  // 1700000000 s + index/10 s
  const unsigned int sec = 1700000000u + index / 10u;
  const unsigned int frac = igtl_nanosec_to_frac((index % 10u) * 100000000u);
  msg->SetTimeStamp(sec, frac);
  if (mode != HV1)
  {
    msg->SetMessageID(index + 1u);
  }
  if (mode == HV2M)
  {
    msg->SetMetaDataElement("PlusFrameNumber", IANA_TYPE_US_ASCII, "42");
    msg->SetMetaDataElement("Timestamp", IANA_TYPE_US_ASCII, "1234.5");
    msg->SetMetaDataElement("TransformStatus", IANA_TYPE_US_ASCII, "OK");
  }
}

EncodedMessage Finish(igtl::MessageBase* msg)
{
  msg->Pack();
  EncodedMessage e;
  const unsigned char* p = static_cast<const unsigned char*>(msg->GetPackPointer());
  e.bytes.assign(p, p + msg->GetPackSize());
  return e;
}

// Rotation R = Rz(az) * Rx(ax) (degrees), as columns.
void Rotation(double azDeg, double axDeg, float cols[3][3])
{
  const double pi = 3.14159265358979323846;
  const double cz = std::cos(azDeg * pi / 180.0), sz = std::sin(azDeg * pi / 180.0);
  const double cx = std::cos(axDeg * pi / 180.0), sx = std::sin(axDeg * pi / 180.0);
  // Rz = [cz -sz 0; sz cz 0; 0 0 1], Rx = [1 0 0; 0 cx -sx; 0 sx cx]
  const double r[3][3] = {
    {cz, -sz * cx, sz * sx},
    {sz, cz * cx, -cz * sx},
    {0.0, sx, cx}};
  for (int c = 0; c < 3; ++c)
  {
    for (int row = 0; row < 3; ++row) { cols[c][row] = static_cast<float>(r[row][c]); }
  }
}

// Pixel pattern: scalar index i (over all components, memory order):
//   base = i*37 + 11
//   uint8  = base mod 256             int8  = the same bits as two's complement
//   uint16 = base*40503 mod 2^16      int16 = the same bits as two's complement
//   uint32 = base*2654435761 mod 2^32 int32 = the same bits as two's complement
//   float32 = ((base mod 1000) - 500) * 0.25
//   float64 = ((base mod 1000) - 500) * 0.1
// written in the byte order the IMAGE endian field declares.
uint64_t PatternBits(int scalarType, uint64_t i)
{
  const uint64_t base = i * 37u + 11u;
  switch (scalarType)
  {
    case 2: case 3: return base & 0xFFu;
    case 4: case 5: return (base * 40503u) & 0xFFFFu;
    case 6: case 7: return (base * 2654435761ull) & 0xFFFFFFFFull;
    case 10:
    {
      const float f = static_cast<float>(static_cast<int>(base % 1000u) - 500) * 0.25f;
      uint32_t u;
      std::memcpy(&u, &f, 4);
      return u;
    }
    case 11:
    {
      const double d = static_cast<double>(static_cast<int>(base % 1000u) - 500) * 0.1;
      uint64_t u;
      std::memcpy(&u, &d, 8);
      return u;
    }
    default: return 0;
  }
}

void FillPixels(unsigned char* dst, uint64_t nScalars, int scalarType, int endian)
{
  const int size = ScalarSize(scalarType);
  for (uint64_t i = 0; i < nScalars; ++i)
  {
    const uint64_t bits = PatternBits(scalarType, i);
    unsigned char* p = dst + i * size;
    for (int k = 0; k < size; ++k)
    {
      const int shift = (endian == igtl::ImageMessage::ENDIAN_BIG) ? (size - 1 - k) * 8 : k * 8;
      p[k] = static_cast<unsigned char>((bits >> shift) & 0xFFu);
    }
  }
}

EncodedMessage MakeImage(const std::string& device, HeaderMode mode, unsigned index, int scalarType,
                         int comps, int endian, const int dims[3], const int* svSize, const int* svOff,
                         int coordinate)
{
  igtl::ImageMessage::Pointer img = igtl::ImageMessage::New();
  ApplyCommon(img, device, mode, index);  // header version + metadata before allocating
  img->SetDimensions(dims[0], dims[1], dims[2]);
  if (svSize && svOff)
  {
    img->SetSubVolume(svSize[0], svSize[1], svSize[2], svOff[0], svOff[1], svOff[2]);
  }
  img->SetSpacing(0.2f, 0.3f, 1.5f);
  float cols[3][3];
  Rotation(30.0, 20.0, cols);
  img->SetNormals(cols[0], cols[1], cols[2]);
  img->SetOrigin(12.5f, -7.25f, 30.0f);
  img->SetScalarType(scalarType);
  img->SetNumComponents(comps);
  img->SetEndian(endian);
  img->SetCoordinateSystem(coordinate);
  img->AllocateScalars();
  int sv[3], off[3];
  img->GetSubVolume(sv, off);
  const uint64_t nScalars = static_cast<uint64_t>(sv[0]) * sv[1] * sv[2] * comps;
  FillPixels(static_cast<unsigned char*>(img->GetScalarPointer()), nScalars, scalarType, endian);
  return Finish(img);
}

struct NamedMessage
{
  std::string device;
  EncodedMessage encoded;
};

std::vector<NamedMessage> BuildMessageSet()
{
  std::vector<NamedMessage> out;
  unsigned index = 0;
  const HeaderMode modes[3] = {HV1, HV2, HV2M};

  struct ImgSpec { const char* tag; int type; int comps; };
  const ImgSpec specs[] = {
    {"i8", igtl::ImageMessage::TYPE_INT8, 1},
    {"u8", igtl::ImageMessage::TYPE_UINT8, 1},
    {"i16", igtl::ImageMessage::TYPE_INT16, 1},
    {"u16", igtl::ImageMessage::TYPE_UINT16, 1},
    {"i32", igtl::ImageMessage::TYPE_INT32, 1},
    {"u32", igtl::ImageMessage::TYPE_UINT32, 1},
    {"f32", igtl::ImageMessage::TYPE_FLOAT32, 1},
    {"f64", igtl::ImageMessage::TYPE_FLOAT64, 1},
    {"u8", igtl::ImageMessage::TYPE_UINT8, 3},
    {"u8", igtl::ImageMessage::TYPE_UINT8, 4},
    {"f32", igtl::ImageMessage::TYPE_FLOAT32, 3},
  };
  const int dims2d[3] = {7, 5, 1};
  for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); ++s)
  {
    for (int e = 0; e < 2; ++e)
    {
      const int endian = e == 0 ? igtl::ImageMessage::ENDIAN_BIG : igtl::ImageMessage::ENDIAN_LITTLE;
      for (int m = 0; m < 3; ++m)
      {
        char name[32];
        std::snprintf(name, sizeof(name), "img_%s_c%d_%s_%s", specs[s].tag, specs[s].comps,
                      e == 0 ? "be" : "le", ModeTag(modes[m]));
        NamedMessage nm;
        nm.device = name;
        nm.encoded = MakeImage(name, modes[m], index++, specs[s].type, specs[s].comps, endian, dims2d,
                               NULL, NULL, igtl::ImageMessage::COORDINATE_RAS);
        out.push_back(nm);
      }
    }
  }
  {
    // A 4x3x2 uint8 volume in LPS.
    const int dims[3] = {4, 3, 2};
    NamedMessage nm;
    nm.device = "img_vol_u8_lps_v2m";
    nm.encoded = MakeImage(nm.device, HV2M, index++, igtl::ImageMessage::TYPE_UINT8, 1,
                           igtl::ImageMessage::ENDIAN_BIG, dims, NULL, NULL,
                           igtl::ImageMessage::COORDINATE_LPS);
    out.push_back(nm);
  }
  {
    // int16 6x5x3 volume, sub-volume 3x2x2 at offset (2,1,1).
    const int dims[3] = {6, 5, 3};
    const int sv[3] = {3, 2, 2};
    const int off[3] = {2, 1, 1};
    NamedMessage a;
    a.device = "img_sub_i16_be_v1";
    a.encoded = MakeImage(a.device, HV1, index++, igtl::ImageMessage::TYPE_INT16, 1,
                          igtl::ImageMessage::ENDIAN_BIG, dims, sv, off, igtl::ImageMessage::COORDINATE_RAS);
    out.push_back(a);
    NamedMessage b;
    b.device = "img_sub_i16_le_v2m";
    b.encoded = MakeImage(b.device, HV2M, index++, igtl::ImageMessage::TYPE_INT16, 1,
                          igtl::ImageMessage::ENDIAN_LITTLE, dims, sv, off, igtl::ImageMessage::COORDINATE_RAS);
    out.push_back(b);
  }

  // TRANSFORM: R = Rz(45) * Rx(-15), t = (10.5, -20.25, 35.125).
  for (int m = 0; m < 3; ++m)
  {
    igtl::TransformMessage::Pointer tm = igtl::TransformMessage::New();
    NamedMessage nm;
    nm.device = std::string("tf_") + ModeTag(modes[m]);
    ApplyCommon(tm, nm.device, modes[m], index++);
    float cols[3][3];
    Rotation(45.0, -15.0, cols);
    tm->SetNormals(cols[0], cols[1], cols[2]);
    tm->SetPosition(10.5f, -20.25f, 35.125f);
    nm.encoded = Finish(tm);
    out.push_back(nm);
  }

  // STATUS
  for (int m = 0; m < 3; ++m)
  {
    igtl::StatusMessage::Pointer sm = igtl::StatusMessage::New();
    NamedMessage nm;
    nm.device = std::string("st_") + ModeTag(modes[m]);
    ApplyCommon(sm, nm.device, modes[m], index++);
    sm->SetCode(igtl::StatusMessage::STATUS_OK);
    sm->SetSubCode(12345);
    sm->SetErrorName("PeerStatusName");
    sm->SetStatusString("reference peer status: all good");
    nm.encoded = Finish(sm);
    out.push_back(nm);
  }

  // STRING: ASCII (3) with characters that need JSON escaping, UTF-8 (106).
  {
    struct StrSpec { const char* name; HeaderMode mode; int enc; const char* text; };
    const StrSpec specs2[] = {
      {"str_ascii_v1", HV1, 3, "Hello, \"peer\" \\ tab\there"},
      {"str_ascii_v2", HV2, 3, "Hello, \"peer\" \\ tab\there"},
      {"str_ascii_v2m", HV2M, 3, "Hello, \"peer\" \\ tab\there"},
      {"str_utf8_v1", HV1, 106, "Gr\xC3\xB6\xC3\x9F" "e 5 \xC2\xB5m \xE2\x86\x92 ok"},
      {"str_utf8_v2", HV2, 106, "Gr\xC3\xB6\xC3\x9F" "e 5 \xC2\xB5m \xE2\x86\x92 ok"},
    };
    for (size_t s = 0; s < sizeof(specs2) / sizeof(specs2[0]); ++s)
    {
      igtl::StringMessage::Pointer st = igtl::StringMessage::New();
      NamedMessage nm;
      nm.device = specs2[s].name;
      ApplyCommon(st, nm.device, specs2[s].mode, index++);
      st->SetEncoding(static_cast<igtlUint16>(specs2[s].enc));
      st->SetString(std::string(specs2[s].text));
      nm.encoded = Finish(st);
      out.push_back(nm);
    }
  }

  // POLYDATA: 5 points, 2 vertices, 1 line, 2 polygons, 1 strip and three attributes:
  // a point scalar (1 component), a point vector (3 components) and a cell tensor
  // (9 components, one tuple per cell: 6).
  //
  // No CELL_SCALAR / CELL_VECTOR / CELL_NORMAL / *_RGBA / *_TCOORDS attribute: the
  // reference C layer (Source/igtlutil/igtl_polydata.c: igtl_polydata_get_size,
  // igtl_polydata_pack, igtl_polydata_unpack) compares the full attribute type byte
  // with IGTL_POLY_ATTR_TYPE_SCALAR (0x00) / _VECTOR (0x01) / _NORMAL (0x02) and
  // treats every other type as a TENSOR (9 floats per tuple). Packing a CELL_VECTOR
  // with the reference library reads 9*n floats from a 3*n-float buffer (ASan
  // heap-buffer-overflow in igtl_polydata_pack), and the reference reader expects
  // 9*n floats for any such attribute. CELL_TENSOR (0x13) is the only cell attribute
  // that the reference library packs and reads consistently.
  for (int m = 0; m < 3; ++m)
  {
    igtl::PolyDataMessage::Pointer pd = igtl::PolyDataMessage::New();
    NamedMessage nm;
    nm.device = std::string("pd_") + ModeTag(modes[m]);
    ApplyCommon(pd, nm.device, modes[m], index++);
    igtl::PolyDataPointArray::Pointer pts = igtl::PolyDataPointArray::New();
    pts->AddPoint(0.0f, 0.0f, 0.0f);
    pts->AddPoint(10.5f, 0.0f, -1.25f);
    pts->AddPoint(10.5f, 20.0f, 2.5f);
    pts->AddPoint(0.0f, 20.0f, 3.75f);
    pts->AddPoint(5.25f, 10.0f, 15.0f);
    igtl::PolyDataCellArray::Pointer verts = igtl::PolyDataCellArray::New();
    igtlUint32 v0[1] = {0};
    igtlUint32 v1[1] = {4};
    verts->AddCell(1, v0);
    verts->AddCell(1, v1);
    igtl::PolyDataCellArray::Pointer lines = igtl::PolyDataCellArray::New();
    igtlUint32 l0[3] = {0, 1, 2};
    lines->AddCell(3, l0);
    igtl::PolyDataCellArray::Pointer polys = igtl::PolyDataCellArray::New();
    igtlUint32 p0[3] = {0, 1, 4};
    igtlUint32 p1[4] = {0, 1, 2, 3};
    polys->AddCell(3, p0);
    polys->AddCell(4, p1);
    igtl::PolyDataCellArray::Pointer strips = igtl::PolyDataCellArray::New();
    igtlUint32 s0[4] = {1, 2, 4, 3};
    strips->AddCell(4, s0);
    pd->SetPoints(pts);
    pd->SetVertices(verts);
    pd->SetLines(lines);
    pd->SetPolygons(polys);
    pd->SetTriangleStrips(strips);

    igtl::PolyDataAttribute::Pointer a0 = igtl::PolyDataAttribute::New();
    a0->SetType(igtl::PolyDataAttribute::POINT_SCALAR, 1);
    a0->SetSize(5);
    a0->SetName("PointScalar");
    igtlFloat32 d0[5] = {0.5f, -1.5f, 2.25f, 100.0f, -0.125f};
    a0->SetData(d0);
    igtl::PolyDataAttribute::Pointer a1 = igtl::PolyDataAttribute::New();
    a1->SetType(igtl::PolyDataAttribute::POINT_VECTOR, 3);
    a1->SetSize(5);
    a1->SetName("PointVector");
    igtlFloat32 d1[15];
    for (int i = 0; i < 15; ++i) { d1[i] = static_cast<float>(i) * 0.5f - 3.0f; }
    a1->SetData(d1);
    igtl::PolyDataAttribute::Pointer a2 = igtl::PolyDataAttribute::New();
    a2->SetType(igtl::PolyDataAttribute::CELL_TENSOR, 9);
    a2->SetSize(6);
    a2->SetName("CellTensor");
    igtlFloat32 d2[54];
    for (int i = 0; i < 54; ++i) { d2[i] = static_cast<float>(i % 9) * 0.25f + static_cast<float>(i / 9); }
    a2->SetData(d2);
    pd->AddAttribute(a0);
    pd->AddAttribute(a1);
    pd->AddAttribute(a2);
    nm.encoded = Finish(pd);
    out.push_back(nm);
  }
  // Empty POLYDATA (0 points, no cells, no attributes): an empty contour.
  for (int m = 0; m < 2; ++m)
  {
    igtl::PolyDataMessage::Pointer pd = igtl::PolyDataMessage::New();
    NamedMessage nm;
    nm.device = std::string("pd_empty_") + ModeTag(modes[m]);
    ApplyCommon(pd, nm.device, modes[m], index++);
    pd->SetPoints(igtl::PolyDataPointArray::New());
    pd->SetVertices(igtl::PolyDataCellArray::New());
    pd->SetLines(igtl::PolyDataCellArray::New());
    pd->SetPolygons(igtl::PolyDataCellArray::New());
    pd->SetTriangleStrips(igtl::PolyDataCellArray::New());
    nm.encoded = Finish(pd);
    out.push_back(nm);
  }
  return out;
}

std::string DecodeEncoded(const EncodedMessage& e)
{
  DecodeInput in;
  in.header = e.bytes.data();
  in.body = e.bytes.data() + IGTL_HEADER_SIZE;
  in.bodySize = e.bytes.size() - IGTL_HEADER_SIZE;
  return DecodeMessage(in, PATH_DIRECT);
}

// ---------------------------------------------------------------------------------
// Argument parsing helpers
// ---------------------------------------------------------------------------------

bool ParseU64(const char* s, uint64_t* out)
{
  if (!s || !*s) { return false; }
  char* end = NULL;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || s[0] == '-') { return false; }
  *out = v;
  return true;
}

bool ParseDouble(const char* s, double* out)
{
  if (!s || !*s) { return false; }
  char* end = NULL;
  errno = 0;
  const double v = std::strtod(s, &end);
  if (errno != 0 || *end != '\0' || !(v >= 0.0) || !std::isfinite(v)) { return false; }
  *out = v;
  return true;
}

void PrintUsage()
{
  std::fprintf(stderr,
    "usage:\n"
    "  igtl3_peer version\n"
    "  igtl3_peer decode FILE [--via-copy]\n"
    "  igtl3_peer encode FILE\n"
    "  igtl3_peer serve PORT [--interval-ms N] [--repeat N] [--linger-s S] [--accept-timeout-s S]\n"
    "  igtl3_peer client HOST PORT [--hello-v2] [--get-status] [--device NAME] [--count N]\n"
    "                    [--timeout-s S] [--connect-timeout-s S] [--raw FILE] [--via-copy]\n");
}

typedef std::chrono::steady_clock Clock;

int64_t MsUntil(Clock::time_point deadline)
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
}

Clock::time_point After(double seconds)
{
  return Clock::now() + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
}

// ---------------------------------------------------------------------------------
// Modes
// ---------------------------------------------------------------------------------

int ModeVersion()
{
  std::string line = "{\"library\":\"OpenIGTLink\",\"version\":\"" IGTL3_PEER_LIB_VERSION "\"";
  line += ",\"protocol_version\":" + JsonI64(IGTL3_PEER_PROTOCOL_VERSION);
  line += ",\"header_version\":" + JsonI64(OpenIGTLink_HEADER_VERSION);
#if defined(IGTL3_PEER_ASAN)
  line += ",\"asan\":true}";
#else
  line += ",\"asan\":false}";
#endif
  PrintLine(line);
  return kExitOk;
}

int ModeDecode(const char* path, DecodePath decodePath)
{
  FILE* f = std::fopen(path, "rb");
  if (!f)
  {
    PrintError(std::string("cannot open ") + path + ": " + std::strerror(errno));
    return kExitIo;
  }
  uint64_t offset = 0;
  std::vector<unsigned char> body;
  for (;;)
  {
    unsigned char header[IGTL_HEADER_SIZE];
    const size_t got = std::fread(header, 1, IGTL_HEADER_SIZE, f);
    if (got == 0)
    {
      if (std::ferror(f))
      {
        PrintError(std::string("read error in ") + path + ": " + std::strerror(errno));
        std::fclose(f);
        return kExitIo;
      }
      break;  // clean end of file
    }
    if (got < IGTL_HEADER_SIZE)
    {
      PrintError("truncated header at offset " + JsonU64(offset) + " (" + JsonU64(got) + " of 58 bytes)");
      std::fclose(f);
      return kExitIo;
    }
    const uint64_t bodySize = ReadBE64(header + 42);
    if (bodySize > kMaxBodySize)
    {
      PrintError("body_size " + JsonU64(bodySize) + " at offset " + JsonU64(offset) + " exceeds 256 MiB");
      std::fclose(f);
      return kExitIo;
    }
    body.resize(static_cast<size_t>(bodySize));
    const size_t gotBody = bodySize ? std::fread(body.data(), 1, static_cast<size_t>(bodySize), f) : 0;
    if (gotBody < bodySize)
    {
      PrintError("truncated body at offset " + JsonU64(offset + IGTL_HEADER_SIZE) + " (" + JsonU64(gotBody) +
                 " of " + JsonU64(bodySize) + " bytes)");
      std::fclose(f);
      return kExitIo;
    }
    DecodeInput in;
    in.header = header;
    in.body = body.data();
    in.bodySize = bodySize;
    PrintLine(DecodeMessage(in, decodePath));
    offset += IGTL_HEADER_SIZE + bodySize;
  }
  std::fclose(f);
  return kExitOk;
}

int ModeEncode(const char* path)
{
  const std::vector<NamedMessage> set = BuildMessageSet();
  FILE* f = std::fopen(path, "wb");
  if (!f)
  {
    PrintError(std::string("cannot create ") + path + ": " + std::strerror(errno));
    return kExitIo;
  }
  for (size_t i = 0; i < set.size(); ++i)
  {
    const std::vector<unsigned char>& b = set[i].encoded.bytes;
    if (std::fwrite(b.data(), 1, b.size(), f) != b.size())
    {
      PrintError(std::string("write error on ") + path + ": " + std::strerror(errno));
      std::fclose(f);
      return kExitIo;
    }
  }
  if (std::fclose(f) != 0)
  {
    PrintError(std::string("write error on ") + path + ": " + std::strerror(errno));
    return kExitIo;
  }
  for (size_t i = 0; i < set.size(); ++i)
  {
    PrintLine(DecodeEncoded(set[i].encoded));
  }
  return kExitOk;
}

int ModeServe(int argc, char** argv)
{
  if (argc < 3) { PrintUsage(); return kExitUsage; }
  uint64_t port = 0, intervalMs = 0, repeat = 1;
  double lingerS = 2.0, acceptTimeoutS = 60.0;
  if (!ParseU64(argv[2], &port) || port > 65535) { PrintUsage(); return kExitUsage; }
  for (int i = 3; i < argc; ++i)
  {
    const std::string a = argv[i];
    const char* v = (i + 1 < argc) ? argv[i + 1] : NULL;
    bool okArg = false;
    if (a == "--interval-ms") { okArg = ParseU64(v, &intervalMs); ++i; }
    else if (a == "--repeat") { okArg = ParseU64(v, &repeat); ++i; }
    else if (a == "--linger-s") { okArg = ParseDouble(v, &lingerS); ++i; }
    else if (a == "--accept-timeout-s") { okArg = ParseDouble(v, &acceptTimeoutS); ++i; }
    if (!okArg) { PrintUsage(); return kExitUsage; }
  }

  const std::vector<NamedMessage> set = BuildMessageSet();
  std::vector<std::string> lines;
  for (size_t i = 0; i < set.size(); ++i) { lines.push_back(DecodeEncoded(set[i].encoded)); }

  igtl::ServerSocket::Pointer server = igtl::ServerSocket::New();
  if (server->CreateServer(static_cast<int>(port)) != 0)
  {
    PrintError("cannot listen on port " + JsonU64(port));
    return kExitConnect;
  }
  const int actualPort = server->GetServerPort();
  if (actualPort <= 0)
  {
    PrintError("cannot determine the listening port");
    return kExitConnect;
  }
  PrintLine("{\"listening\":" + JsonI64(actualPort) + "}");

  igtl::ClientSocket::Pointer client;
  const Clock::time_point acceptDeadline = After(acceptTimeoutS);
  while (client.IsNull())
  {
    const int64_t left = MsUntil(acceptDeadline);
    if (left <= 0) { break; }
    client = server->WaitForConnection(static_cast<unsigned long>(left < 200 ? (left < 1 ? 1 : left) : 200));
  }
  if (client.IsNull())
  {
    PrintError("no client connected within " + Seconds(acceptTimeoutS) + " s");
    return kExitConnect;
  }

  for (uint64_t r = 0; r < repeat; ++r)
  {
    for (size_t i = 0; i < set.size(); ++i)
    {
      const std::vector<unsigned char>& b = set[i].encoded.bytes;
      if (!client->Send(b.data(), b.size()))
      {
        PrintError("send failed (client gone?) at message " + JsonU64(r * set.size() + i));
        client->CloseSocket();
        return kExitIo;
      }
      PrintLine(lines[i]);
      if (intervalMs > 0) { std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs)); }
    }
  }

  // Keep the connection open for --linger-s seconds; whatever the client sends is
  // read and discarded. Ends early if the client closes the connection.
  const Clock::time_point lingerDeadline = After(lingerS);
  unsigned char scratch[4096];
  for (;;)
  {
    const int64_t left = MsUntil(lingerDeadline);
    if (left <= 0) { break; }
    client->SetReceiveTimeout(static_cast<int>(left < 100 ? (left < 1 ? 1 : left) : 100));
    bool timeout = false;
    const igtlUint64 n = client->Receive(scratch, sizeof(scratch), timeout, 0);
    if (n == 0 && !timeout) { break; }
  }
  client->CloseSocket();
  server->CloseSocket();
  return kExitOk;
}

// Receives exactly n bytes (n may be 0) before the deadline. Returns 1 on success,
// 0 if the peer closed the connection, -1 on deadline.
int ReceiveExactly(igtl::ClientSocket* sock, unsigned char* dst, uint64_t n, Clock::time_point deadline,
                   uint64_t* received)
{
  *received = 0;
  while (*received < n)
  {
    const int64_t left = MsUntil(deadline);
    if (left <= 0) { return -1; }
    sock->SetReceiveTimeout(static_cast<int>(left > 1000 ? 1000 : (left < 1 ? 1 : left)));
    bool timeout = false;
    const uint64_t chunk = (n - *received) > (1u << 20) ? (1u << 20) : (n - *received);
    const igtlUint64 got = sock->Receive(dst + *received, chunk, timeout, 0);
    if (got == 0)
    {
      if (timeout) { continue; }
      return 0;
    }
    *received += got;
  }
  return 1;
}

int ModeClient(int argc, char** argv)
{
  if (argc < 4) { PrintUsage(); return kExitUsage; }
  const std::string host = argv[2];
  uint64_t port = 0, count = 0;
  bool haveCount = false, helloV2 = false, getStatus = false;
  double timeoutS = 10.0, connectTimeoutS = 10.0;
  std::string rawPath, queryDevice;
  DecodePath decodePath = PATH_DIRECT;
  if (!ParseU64(argv[3], &port) || port == 0 || port > 65535) { PrintUsage(); return kExitUsage; }
  for (int i = 4; i < argc; ++i)
  {
    const std::string a = argv[i];
    const char* v = (i + 1 < argc) ? argv[i + 1] : NULL;
    bool okArg = true;
    if (a == "--hello-v2") { helloV2 = true; }
    else if (a == "--get-status") { getStatus = true; }
    else if (a == "--via-copy") { decodePath = PATH_VIA_COPY; }
    else if (a == "--count") { okArg = ParseU64(v, &count); haveCount = true; ++i; }
    else if (a == "--timeout-s") { okArg = ParseDouble(v, &timeoutS); ++i; }
    else if (a == "--connect-timeout-s") { okArg = ParseDouble(v, &connectTimeoutS); ++i; }
    else if (a == "--raw") { okArg = v != NULL; if (v) { rawPath = v; } ++i; }
    else if (a == "--device") { okArg = v != NULL; if (v) { queryDevice = v; } ++i; }
    else { okArg = false; }
    if (!okArg) { PrintUsage(); return kExitUsage; }
  }

  FILE* raw = NULL;
  if (!rawPath.empty())
  {
    raw = std::fopen(rawPath.c_str(), "ab");
    if (!raw)
    {
      PrintError("cannot open " + rawPath + ": " + std::strerror(errno));
      return kExitIo;
    }
  }

  // Connect, retrying every 100 ms.
  igtl::ClientSocket::Pointer sock = igtl::ClientSocket::New();
  const Clock::time_point connectDeadline = After(connectTimeoutS);
  bool connected = false;
  for (;;)
  {
    if (sock->ConnectToServer(host.c_str(), static_cast<int>(port), false) == 0)
    {
      connected = true;
      break;
    }
    if (MsUntil(connectDeadline) <= 0) { break; }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!connected)
  {
    PrintError("could not connect to " + host + ":" + JsonU64(port) + " within " + Seconds(connectTimeoutS) + " s");
    if (raw) { std::fclose(raw); }
    return kExitConnect;
  }

  const Clock::time_point deadline = After(timeoutS);

  if (helloV2)
  {
    // What 3D Slicer sends right after connecting so that servers answer in header
    // version 2: vtkMRMLIGTLConnectorNode::ProcessIOConnectorEvents() on
    // igtlioConnector::ConnectedEvent (openigtlink/SlicerOpenIGTLink,
    // OpenIGTLinkIF/MRML/vtkMRMLIGTLConnectorNode.cxx) sends the STATUS device with
    // empty name after statusDevice->SetMetaDataElement("dummy", "dummy") ("existence of
    // metadata makes the IO connector send a header v2 message";
    // igtlioStatusConverter::toIGTL switches to IGTL_HEADER_VERSION_2 when metadata is
    // present). Its status content is left default; here code 1 (OK), subcode 0.
    igtl::StatusMessage::Pointer hello = igtl::StatusMessage::New();
    hello->SetHeaderVersion(IGTL_HEADER_VERSION_2);
    hello->SetDeviceName("");
    hello->SetMetaDataElement("dummy", IANA_TYPE_US_ASCII, "dummy");
    hello->SetCode(igtl::StatusMessage::STATUS_OK);
    hello->SetSubCode(0);
    hello->SetErrorName("");
    hello->SetStatusString("");
    hello->Pack();
    if (!sock->Send(hello->GetPackPointer(), hello->GetPackSize()))
    {
      PrintError("sending the version-2 STATUS hello failed");
      if (raw) { std::fclose(raw); }
      return kExitIo;
    }
  }
  if (getStatus)
  {
    igtl::GetStatusMessage::Pointer q = igtl::GetStatusMessage::New();
    q->SetHeaderVersion(helloV2 ? IGTL_HEADER_VERSION_2 : IGTL_HEADER_VERSION_1);
    q->SetDeviceName(queryDevice);
    q->Pack();
    if (!sock->Send(q->GetPackPointer(), q->GetPackSize()))
    {
      PrintError("sending GET_STATUS failed");
      if (raw) { std::fclose(raw); }
      return kExitIo;
    }
  }

  // Receive as OpenIGTLinkIO / PlusServer do: header first, then exactly body_size
  // bytes, then decode. The first header byte is waited for with a short receive
  // timeout so the overall deadline is honoured without losing bytes mid-message.
  uint64_t received = 0;
  std::vector<unsigned char> body;
  int rc = kExitOk;
  while (!haveCount || received < count)
  {
    unsigned char header[IGTL_HEADER_SIZE];
    const int64_t left = MsUntil(deadline);
    if (left <= 0) { break; }
    sock->SetReceiveTimeout(static_cast<int>(left > 200 ? 200 : (left < 1 ? 1 : left)));
    bool timeout = false;
    const igtlUint64 first = sock->Receive(header, 1, timeout, 1);
    if (first == 0)
    {
      if (timeout) { continue; }
      break;  // server closed the connection
    }
    uint64_t got = 0;
    int r = ReceiveExactly(sock, header + 1, IGTL_HEADER_SIZE - 1, deadline, &got);
    if (r != 1)
    {
      PrintError(r == 0 ? "connection closed in the middle of a header" : "deadline reached in the middle of a header");
      rc = r == 0 ? kExitIo : kExitOk;
      break;
    }
    const uint64_t bodySize = ReadBE64(header + 42);
    if (bodySize > kMaxBodySize)
    {
      PrintError("body_size " + JsonU64(bodySize) + " exceeds 256 MiB");
      rc = kExitIo;
      break;
    }
    body.resize(static_cast<size_t>(bodySize));
    r = ReceiveExactly(sock, body.data(), bodySize, deadline, &got);
    if (r != 1)
    {
      PrintError((r == 0 ? std::string("connection closed") : std::string("deadline reached")) +
                 " in the middle of a body (" + JsonU64(got) + " of " + JsonU64(bodySize) + " bytes)");
      rc = r == 0 ? kExitIo : kExitOk;
      break;
    }
    if (raw)
    {
      std::fwrite(header, 1, IGTL_HEADER_SIZE, raw);
      if (bodySize) { std::fwrite(body.data(), 1, static_cast<size_t>(bodySize), raw); }
      std::fflush(raw);
    }
    DecodeInput in;
    in.header = header;
    in.body = body.data();
    in.bodySize = bodySize;
    PrintLine(DecodeMessage(in, decodePath));
    ++received;
  }
  sock->CloseSocket();
  if (raw && std::fclose(raw) != 0)
  {
    PrintError("write error on " + rawPath);
    return kExitIo;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv)
{
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) { PrintUsage(); return kExitUsage; }
  const std::string mode = argv[1];
  if (mode == "version" && argc == 2) { return ModeVersion(); }
  if (mode == "decode" && (argc == 3 || argc == 4))
  {
    DecodePath p = PATH_DIRECT;
    if (argc == 4)
    {
      if (std::string(argv[3]) != "--via-copy") { PrintUsage(); return kExitUsage; }
      p = PATH_VIA_COPY;
    }
    return ModeDecode(argv[2], p);
  }
  if (mode == "encode" && argc == 3) { return ModeEncode(argv[2]); }
  if (mode == "serve") { return ModeServe(argc, argv); }
  if (mode == "client") { return ModeClient(argc, argv); }
  PrintUsage();
  return kExitUsage;
}
