// The visibility stage: per track a state machine VISIBLE / RELOCALIZING /
// LOST with hysteresis, fed once per frame with the track's matched score
// (0 when no detection matched it).
#pragma once

#include <cstdint>
#include <string_view>

namespace igtb {

enum class TrackState : std::uint8_t { Visible = 1, Relocalizing = 2, Lost = 3 };

std::string_view track_state_name(TrackState s);  ///< "VISIBLE", "RELOCALIZING", "LOST"

struct VisibilityConfig {
  double theta_on = 0.6;      ///< enter VISIBLE at score >= theta_on
  double theta_off = 0.4;     ///< leave VISIBLE at score < theta_off
  int lost_after_frames = 10; ///< RELOCALIZING this many frames in a row -> LOST
};

/// Throws std::invalid_argument unless 0 <= theta_off <= theta_on <= 1 and lost_after_frames >= 1.
void validate(const VisibilityConfig& c);

class Visibility {
 public:
  /// A new track starts RELOCALIZING; its first update decides.
  explicit Visibility(const VisibilityConfig& c) : c_(c) {}

  /// Advances one frame. Between theta_off and theta_on the state holds
  /// (hysteresis); a track becomes LOST on the lost_after_frames-th frame in
  /// a row that it is not seen (counted from its fall below theta_off; frames
  /// below theta_on count while it is not VISIBLE); reaching theta_on makes
  /// any state VISIBLE.
  TrackState update(double score);

  TrackState state() const { return state_; }
  int frames_unseen() const { return unseen_; }  ///< frames in a row below theta_on while not VISIBLE

 private:
  VisibilityConfig c_;
  TrackState state_ = TrackState::Relocalizing;
  int unseen_ = 0;
};

}  // namespace igtb
