#include "io/zlib_inflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <string>

namespace igtb::io {
namespace {

constexpr int kAutoDetectWindow = 15 + 32;  // zlib or gzip header, 32 KiB window
constexpr std::size_t kChunk = std::numeric_limits<uInt>::max();

class Inflater {
 public:
  Inflater() {
    if (inflateInit2(&z_, kAutoDetectWindow) != Z_OK) throw InflateError("zlib: inflateInit2 failed");
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream* operator->() { return &z_; }

 private:
  z_stream z_{};
};

std::string zlib_message(const z_stream& z, int rc) {
  std::string msg = "zlib error " + std::to_string(rc);
  if (z.msg != nullptr) msg += std::string(" (") + z.msg + ")";
  return msg;
}

}  // namespace

void inflate_exact(const std::uint8_t* in, std::size_t in_size, std::uint8_t* out, std::size_t out_size) {
  Inflater z;
  std::size_t in_used = 0;
  std::size_t out_used = 0;
  z->next_in = const_cast<Bytef*>(in);
  z->next_out = out;
  for (;;) {
    // Refill the 32-bit counters from the 64-bit sizes.
    if (z->avail_in == 0) z->avail_in = static_cast<uInt>(std::min(kChunk, in_size - in_used));
    if (z->avail_out == 0) z->avail_out = static_cast<uInt>(std::min(kChunk, out_size - out_used));
    const uInt in_before = z->avail_in;
    const uInt out_before = z->avail_out;
    const int rc = inflate(z.operator->(), Z_NO_FLUSH);
    in_used += in_before - z->avail_in;
    out_used += out_before - z->avail_out;
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (as `cat a.gz b.gz` makes).
      if (in_used < in_size && out_used < out_size && inflateReset(z.operator->()) == Z_OK) continue;
      break;
    }
    if (rc == Z_BUF_ERROR && out_used == out_size) {
      // Output full. What input is left may still hold no data: the empty
      // stored block of a flush (a stream recorded frame by frame and read
      // before its end), or the end of the stream. Drain it into one scratch
      // byte: any byte out means the stream is longer than the header says.
      std::uint8_t scratch = 0;
      for (;;) {
        if (z->avail_in == 0) z->avail_in = static_cast<uInt>(std::min(kChunk, in_size - in_used));
        const uInt in_left = z->avail_in;
        z->next_out = &scratch;
        z->avail_out = 1;
        const int drc = inflate(z.operator->(), Z_NO_FLUSH);
        in_used += in_left - z->avail_in;
        if (z->avail_out == 0)
          throw InflateError("the stream holds more than the expected " + std::to_string(out_size) + " bytes");
        if (drc == Z_STREAM_END || drc == Z_BUF_ERROR) break;
        if (drc != Z_OK) throw InflateError(zlib_message(*z.operator->(), drc));
      }
      break;
    }
    if (rc == Z_BUF_ERROR && in_used == in_size) break;  // input ended mid-stream
    if (rc != Z_OK) throw InflateError(zlib_message(*z.operator->(), rc));
  }
  if (out_used < out_size) {
    throw InflateError("the stream ends after " + std::to_string(out_used) + " of the expected " +
                       std::to_string(out_size) + " bytes");
  }
}

}  // namespace igtb::io
