// Writing a PLUS sequence frame by frame while it is being recorded, so that
// what is on disk is a readable sequence at every moment that matters:
//   <base>.igs.mhd   the MetaImage header (geometry, every frame's timestamp,
//                    transforms and status), rewritten whole through a
//                    temporary file + rename, so a reader never sees half of it
//   <base>.igs.zraw  the pixels, one zlib stream (<base>.igs.raw uncompressed),
//                    appended frame by frame; with zlib each frame ends with a
//                    full flush, so the bytes up to any frame inflate alone.
// The pair is MetaImage's detached form ("ElementDataFile = <base>.igs.zraw"),
// which PLUS, ITK and read_sequence() read: a single .mha cannot grow, as its
// per-frame fields sit in the header before the pixels. write_header() makes the
// files on disk a valid sequence of the frames so far (a process killed later
// leaves that); close() ends the zlib stream and writes the final header.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "io/sequence.hpp"

namespace igtb::io {

class SequenceRecorder {
 public:
  /// `format` gives the frame geometry, scalar type, components and global
  /// fields (its frames and pixels are ignored). Creates the data file; the
  /// header comes with the first write_header() after a frame. Throws
  /// SequenceError naming the path.
  SequenceRecorder(const std::string& base_path, const Sequence& format, bool compress = true);
  ~SequenceRecorder();  ///< close(), errors logged to nowhere: call close() to see them
  SequenceRecorder(const SequenceRecorder&) = delete;
  SequenceRecorder& operator=(const SequenceRecorder&) = delete;

  /// Whether a frame of `dims`, `components` and `scalar` belongs in this file.
  bool accepts(const std::array<std::uint32_t, 3>& dims, std::uint32_t components, ScalarType scalar) const;
  /// Appends one frame: `bytes` must be frame_bytes(). Throws SequenceError.
  void append(const std::uint8_t* pixels, std::size_t bytes, SequenceFrame meta);
  /// Rewrites the header for the frames appended so far (flushing the data
  /// first); nothing before the first frame.
  void write_header();
  /// Finishes the data stream and writes the final header; idempotent. With no
  /// frame recorded it removes the data file instead.
  void close();

  std::size_t frames() const { return seq_.frames.size(); }
  std::uint64_t data_bytes() const { return data_bytes_; }
  const std::string& header_path() const { return header_path_; }
  const std::string& data_path() const { return data_path_; }

 private:
  void write_data(const std::uint8_t* p, std::size_t n);
  void deflate_some(const std::uint8_t* p, std::size_t n, int flush);

  Sequence seq_;  ///< geometry + per-frame metadata; no pixels
  bool compress_;
  std::string header_path_, data_path_, data_name_;
  std::FILE* data_ = nullptr;
  z_stream z_{};
  bool z_open_ = false;
  bool closed_ = false;
  std::uint64_t data_bytes_ = 0;  ///< written to the data file
};

}  // namespace igtb::io
