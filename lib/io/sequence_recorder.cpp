#include "io/sequence_recorder.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include "io/sequence_writer.hpp"

namespace igtb::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

SequenceRecorder::SequenceRecorder(const std::string& base_path, const Sequence& format, bool compress)
    : compress_(compress) {
  header_path_ = base_path + ".igs.mhd";
  data_path_ = base_path + (compress ? ".igs.zraw" : ".igs.raw");
  data_name_ = base_name(data_path_);
  seq_.path = header_path_;
  seq_.frame_dims = format.frame_dims;
  seq_.components = format.components;
  seq_.scalar = format.scalar;
  seq_.spacing = format.spacing;
  seq_.origin = format.origin;
  seq_.direction = format.direction;
  seq_.fields = format.fields;
  if (seq_.frame_bytes() == 0) throw SequenceError(header_path_, "DimSize", "empty frames cannot be recorded");
  data_ = std::fopen(data_path_.c_str(), "wb");
  if (!data_) throw SequenceError(data_path_, "", "cannot open for writing: " + errno_text());
  if (compress_) {
    if (deflateInit(&z_, Z_BEST_SPEED) != Z_OK) {
      std::fclose(data_);
      throw SequenceError(data_path_, "CompressedData", "zlib deflateInit failed");
    }
    z_open_ = true;
  }
}

SequenceRecorder::~SequenceRecorder() {
  try {
    close();
  } catch (...) {
  }
  if (z_open_) deflateEnd(&z_);
  if (data_) std::fclose(data_);
}

bool SequenceRecorder::accepts(const std::array<std::uint32_t, 3>& dims, std::uint32_t components,
                               ScalarType scalar) const {
  return !closed_ && dims == seq_.frame_dims && components == seq_.components && scalar == seq_.scalar;
}

void SequenceRecorder::write_data(const std::uint8_t* p, std::size_t n) {
  if (n && std::fwrite(p, 1, n, data_) != n) throw SequenceError(data_path_, "", "write failed: " + errno_text());
  data_bytes_ += n;
}

void SequenceRecorder::deflate_some(const std::uint8_t* p, std::size_t n, int flush) {
  std::vector<std::uint8_t> out(std::size_t{1} << 18);
  z_.next_in = const_cast<Bytef*>(p);
  z_.avail_in = static_cast<uInt>(n);
  int rc = Z_OK;
  do {
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(out.size());
    rc = deflate(&z_, flush);
    if (rc == Z_STREAM_ERROR) throw SequenceError(data_path_, "CompressedData", "zlib deflate failed");
    write_data(out.data(), out.size() - z_.avail_out);
  } while (z_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void SequenceRecorder::append(const std::uint8_t* pixels, std::size_t bytes, SequenceFrame meta) {
  if (closed_) throw SequenceError(header_path_, "", "the recording is closed");
  if (bytes != seq_.frame_bytes())
    throw SequenceError(header_path_, "DimSize",
                        std::to_string(bytes) + " pixel bytes for a frame of " + std::to_string(seq_.frame_bytes()));
  if (compress_) {
    // A full flush per frame: everything up to here inflates without what follows.
    deflate_some(pixels, bytes, Z_FULL_FLUSH);
  } else {
    write_data(pixels, bytes);
  }
  seq_.frames.push_back(std::move(meta));
}

void SequenceRecorder::write_header() {
  if (seq_.frames.empty()) return;  // a sequence needs a frame; close() removes an empty recording
  if (data_ && std::fflush(data_) != 0) throw SequenceError(data_path_, "", "write failed: " + errno_text());
  const std::string header =
      metaimage_sequence_header(seq_, seq_.frames.size(), compress_, data_bytes_, data_name_);
  const std::string tmp = header_path_ + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw SequenceError(tmp, "", "cannot open for writing: " + errno_text());
  const bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    throw SequenceError(tmp, "", "write failed: " + errno_text());
  }
  if (std::rename(tmp.c_str(), header_path_.c_str()) != 0)
    throw SequenceError(header_path_, "", "cannot replace the header: " + errno_text());
}

void SequenceRecorder::close() {
  if (closed_) return;
  closed_ = true;
  if (seq_.frames.empty()) {  // nothing recorded: leave no files
    std::fclose(data_);
    data_ = nullptr;
    std::remove(data_path_.c_str());
    std::remove(header_path_.c_str());
    return;
  }
  if (compress_) deflate_some(nullptr, 0, Z_FINISH);
  write_header();
  if (std::fclose(data_) != 0) {
    data_ = nullptr;
    throw SequenceError(data_path_, "", "write failed: " + errno_text());
  }
  data_ = nullptr;
}

}  // namespace igtb::io
