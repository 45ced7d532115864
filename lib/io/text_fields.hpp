// Shared header-text helpers of the MetaImage and NRRD readers: number and
// list parsing with errors that name the file and field, and the assembly of
// Seq_FrameNNNN_* fields into SequenceFrames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "io/sequence.hpp"

namespace igtb::io::detail {

std::string_view trim(std::string_view s);
std::vector<std::string_view> split_ws(std::string_view s);
/// The value quoted for an error message (shortened when long).
std::string quoted(std::string_view value);

bool parse_double(std::string_view s, double& out);
bool parse_u64(std::string_view s, std::uint64_t& out);

/// NRRD key/value escaping: a backslash is written as two, a newline as backslash-n.
std::string escape_nrrd_value(std::string_view value);
std::string unescape_nrrd_value(std::string_view value);

/// Reads one line without its "\n" / "\r\n"; false at end of file.
bool read_line(std::istream& in, std::string& line);

/// Header fields of one file, split into global and per-frame fields.
class HeaderFields {
 public:
  explicit HeaderFields(std::string path) : path_(std::move(path)) {}

  /// Adds a field; "Seq_FrameNNNN_Name" keys go to the per-frame list.
  void add(std::string_view key, std::string_view value);

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& global() const { return global_; }
  /// No field at all (an empty file).
  bool empty() const { return global_.empty() && per_frame_.empty(); }
  const std::string* find(const std::string& key) const;
  /// The value of a field that must be present (SequenceError otherwise).
  const std::string& require(const std::string& key) const;

  /// `count` numbers exactly (SequenceError otherwise).
  std::vector<double> doubles(const std::string& key, std::string_view value, std::size_t count) const;
  /// `count` positive integers that fit in 32 bits.
  std::vector<std::uint32_t> dims(const std::string& key, std::string_view value, std::size_t count) const;
  std::uint32_t positive(const std::string& key, std::string_view value) const;
  bool boolean(const std::string& key, std::string_view value) const;
  [[noreturn]] void fail(const std::string& key, const std::string& detail) const;

  /// One SequenceFrame per frame from the per-frame fields (frame indices
  /// must be below frame_count; `count_field` is named when one is not).
  std::vector<SequenceFrame> build_frames(std::size_t frame_count, const std::string& count_field) const;

 private:
  struct FrameField {
    std::size_t index;
    std::string key;   ///< the whole key, for messages
    std::string name;  ///< without the Seq_FrameNNNN_ prefix
    std::string value;
  };
  void apply(SequenceFrame& frame, const FrameField& f) const;

  std::string path_;
  std::map<std::string, std::string> global_;
  std::vector<FrameField> per_frame_;
};

}  // namespace igtb::io::detail
