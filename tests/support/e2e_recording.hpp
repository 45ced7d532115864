// End-to-end test helpers: a synthetic scene written as a PLUS recording for
// the replay to serve, frames told apart by their timestamps, and the tracks
// read back from a state JSON.
#pragma once

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include "io/sequence_writer.hpp"
#include "synthetic_scene.hpp"
#include "transport/header.hpp"

namespace igtb::test {

inline constexpr double kRecordingT0 = 100.0, kRecordingDt = 0.05;

/// `frames` frames of `scene` as a MetaImage sequence under the temporary
/// folder (a rotated probe: i -> +y, j -> -x; spacing 0.3 mm), frame f at
/// kRecordingT0 + f * kRecordingDt. Returns the path.
inline std::string write_recording(const Scene& scene, int frames, const std::string& name) {
  io::Sequence seq;
  seq.frame_dims = {std::uint32_t(scene.width), std::uint32_t(scene.height), 1};
  seq.spacing = {0.3, 0.3, 1};
  seq.origin = {12.5, -7.25, 3};
  seq.direction = {0, -1, 0, 1, 0, 0, 0, 0, 1};
  for (int f = 0; f < frames; ++f) {
    io::SequenceFrame fr;
    fr.timestamp = kRecordingT0 + kRecordingDt * f;
    seq.frames.push_back(fr);
    const auto px = scene.frame(f);
    seq.pixels.insert(seq.pixels.end(), px.begin(), px.end());
  }
  const auto path = (std::filesystem::temp_directory_path() / (name + ".igs.mha")).string();
  io::write_metaimage_sequence(path, seq);
  return path;
}

/// The frame a message of write_recording()'s stream belongs to.
inline int frame_of(std::uint64_t wire_ts) {
  return int(std::lround((timestamp_to_seconds(wire_ts) - kRecordingT0) / kRecordingDt));
}

/// id -> state name of every track in a state JSON.
inline std::map<int, std::string> track_states(const std::string& json) {
  std::map<int, std::string> out;
  static const std::regex track(R"re(\{"id": (\d+), "state": "([A-Z]+)")re");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), track); it != std::sregex_iterator(); ++it)
    out[std::stoi((*it)[1])] = (*it)[2];
  return out;
}

/// id -> class of every track in a segment shape's state JSON.
inline std::map<int, int> track_classes(const std::string& json) {
  std::map<int, int> out;
  static const std::regex track(R"re(\{"id": (\d+), "state": "[A-Z]+"[^}]*"class": (\d+)\})re");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), track); it != std::sregex_iterator(); ++it)
    out[std::stoi((*it)[1])] = std::stoi((*it)[2]);
  return out;
}

}  // namespace igtb::test
