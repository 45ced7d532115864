// The test oracle's visibility rule (the pipeline runs the same arithmetic,
// step::visibility_update, inside its device tracker): per track a state
// machine VISIBLE / RELOCALIZING / LOST with hysteresis, fed once per frame
// with the track's matched score (0 when no detection matched it).
#pragma once

#include <cstdint>

#include "core/track_params.hpp"

namespace igtb {

class Visibility {
 public:
  /// A new track starts RELOCALIZING; its first update decides.
  explicit Visibility(const TrackParams& c) : c_(c) {}

  /// Advances one frame. Between theta_off and theta_on the state holds
  /// (hysteresis); a track becomes LOST on the lost_after_frames-th frame in
  /// a row that it is not seen (counted from its fall below theta_off; frames
  /// below theta_on count while it is not VISIBLE); reaching theta_on makes
  /// any state VISIBLE.
  TrackState update(double score);

  TrackState state() const { return state_; }
  int frames_unseen() const { return unseen_; }  ///< frames in a row below theta_on while not VISIBLE

 private:
  TrackParams c_;
  TrackState state_ = TrackState::Relocalizing;
  int unseen_ = 0;
};

}  // namespace igtb
