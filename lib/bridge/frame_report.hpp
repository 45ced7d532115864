// What the bridge says about each frame, as one JSON object: the body of
// the BoneMaskState STRING message for Slicer and one line of the KPI file.
//   {"frame": 12, "device": "Image_Reference", "timestamp": 215.102186,
//    "state": "VISIBLE", "failed": false, "e2e_ms": 23.41,
//    "stages_ms": {"decode": 0.3, "upload": 0.05, ...}, "dropped": 3,
//    "tracks": [{"id": 1, "state": "VISIBLE", "score": 0.93,
//                "box": [x0, y0, x1, y1]}]}
// "error" is added when failed, "unsegmented": N when N VISIBLE tracks got
// no mask (more than the segmenter's detect.top_k slots); a track of the
// segment shape has "class": C (and "class_name" where the classes are
// named); a 3D volume's state has "voxels":
// {"1": n1, "2": n2} (voxels per class, background left out) and no tracks. Written by hand (a fixed, write-only schema
// of numbers and escaped strings) rather than through a JSON library, which
// the GPU machine's staged dependencies do not carry.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/stages/result.hpp"

namespace igtb {

struct FrameReport {
  std::uint64_t frame = 0;   ///< processed-frame counter, from 1
  std::string device;        ///< input IMAGE device name
  double timestamp = 0;      ///< input IMAGE header timestamp, seconds
  double e2e_ms = 0;         ///< from the IMAGE read off the socket to the outputs ready to send
  std::vector<std::pair<std::string, double>> stages_ms;
  std::uint64_t dropped = 0;  ///< frames dropped so far because the pipeline was busy
  bool failed = false;
  std::string error;          ///< why, when failed
  std::vector<TrackResult> tracks;
  int unsegmented = 0;  ///< VISIBLE tracks without a mask (more than the segmenter slots)
  std::vector<std::uint64_t> class_voxels;  ///< a label volume's voxels per class value (index); empty for 2D
  /// The segment shape's class names (classes 1..K-1), where the model or
  /// the YAML names them; valid while the frame is reported.
  const std::vector<std::string>* class_names = nullptr;
};

/// "VISIBLE" if any track is, else "RELOCALIZING" if any is, else "LOST" if
/// there are tracks, else "NONE"; "FAILED" for a failed frame. A label
/// volume: "VISIBLE" where any voxel has a class, else "NONE".
std::string overall_state(const FrameReport& r);

/// One line, no newline.
std::string frame_json(const FrameReport& r);

/// A JSON number with `decimals` digits after the point; null if not finite.
std::string json_number(double v, int decimals);

/// A JSON string literal (quotes included) of UTF-8 text.
std::string json_string(const std::string& s);

}  // namespace igtb
