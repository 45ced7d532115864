// PLUS sequence metafiles (.igs.mha / .igs.nrrd): a stack of image frames,
// each with a timestamp, tracked transforms and free-form per-frame fields.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/scalar_type.hpp"

namespace igtb::io {

struct TrackedTransform {
  std::string name;               ///< field name without "Transform", e.g. "ProbeToTracker"
  std::array<double, 16> matrix{};  ///< row-major 4x4, as in the file
  std::string status = "OK";      ///< the ...TransformStatus field; "OK" if absent
  bool valid() const { return status == "OK"; }
};

struct SequenceFrame {
  double timestamp = 0;           ///< Seq_FrameNNNN_Timestamp
  bool image_valid = true;        ///< ImageStatus (mha) / Status (nrrd) == "OK"; absent => true
  std::vector<TrackedTransform> transforms;   ///< in file order
  std::map<std::string, std::string> fields;  ///< every other per-frame field, verbatim
};

struct Sequence {
  std::string path;
  std::array<std::uint32_t, 3> frame_dims{1, 1, 1};  ///< pixels of one frame: i, j, k
  std::uint32_t components = 1;
  ScalarType scalar = ScalarType::UInt8;
  std::array<double, 3> spacing{1, 1, 1};
  std::array<double, 3> origin{0, 0, 0};
  /// Row-major 3x3; its columns are the unit i, j, k directions.
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};
  std::map<std::string, std::string> fields;  ///< global header fields, verbatim
  std::vector<SequenceFrame> frames;
  std::vector<std::uint8_t> pixels;  ///< all frames, contiguous, host byte order

  std::size_t frame_bytes() const;
  /// Start of frame i's pixels; throws std::out_of_range when i >= frames.size().
  const std::uint8_t* frame_pixels(std::size_t i) const;
};

/// A file that cannot be read as a sequence. what() = "<path>: <field>: <detail>"
/// (or "<path>: <detail>" when no single field is to blame).
class SequenceError : public std::runtime_error {
 public:
  SequenceError(const std::string& path, const std::string& field, const std::string& detail);
  const std::string& path() const { return path_; }
  const std::string& field() const { return field_; }

 private:
  std::string path_;
  std::string field_;
};

/// Reads a .mha (MetaImage) or .nrrd sequence, chosen by the file extension.
Sequence read_sequence(const std::string& path);

}  // namespace igtb::io
