// The tracker's parameters: one set from the YAML (the config's match.* and
// visibility.* keys fill it) through the pipeline to the kernel
// (step::Params carries it), and the track states it works with. Plain
// numbers: the config layer checks their ranges, the rest trusts them.
#pragma once

#include <cstdint>
#include <string_view>

namespace igtb {

/// Live tracks at most, and detections per frame the tracker takes: the
/// device step's bound (its 64x64 assignment fits a block's shared memory).
constexpr int kMaxTracks = 64;

struct TrackParams {
  // match: the cost of pairing a detection with a track
  // (class_weight * focal class cost + l1_weight * L1(cx, cy, w, h) - giou_weight * GIoU)
  double class_weight = 1.0;
  double l1_weight = 5.0;
  double giou_weight = 2.0;
  double focal_alpha = 0.25;
  double focal_gamma = 2.0;
  double gate = 1.0;           ///< a pair costing more is not a match: the detection starts a new track
  double min_new_score = 0.6;  ///< a detection below this starts no track
  /// Live tracks at most, 1..kMaxTracks. When full, the LOST track seen
  /// longest ago makes room for a new one; with none LOST the detection is refused.
  int max_tracks = kMaxTracks;
  // visibility: VISIBLE / RELOCALIZING / LOST with hysteresis
  double theta_on = 0.6;       ///< enter VISIBLE at score >= theta_on
  double theta_off = 0.4;      ///< leave VISIBLE at score < theta_off (0 <= theta_off <= theta_on <= 1)
  int lost_after_frames = 10;  ///< RELOCALIZING this many frames in a row -> LOST
};

enum class TrackState : std::uint8_t { Visible = 1, Relocalizing = 2, Lost = 3 };

/// "VISIBLE", "RELOCALIZING", "LOST" ("UNKNOWN" for any other value).
inline std::string_view track_state_name(TrackState s) {
  switch (s) {
    case TrackState::Visible: return "VISIBLE";
    case TrackState::Relocalizing: return "RELOCALIZING";
    case TrackState::Lost: return "LOST";
  }
  return "UNKNOWN";
}

}  // namespace igtb
