#include "pipeline/visibility.hpp"

#include <stdexcept>
#include <string>

namespace igtb {

std::string_view track_state_name(TrackState s) {
  switch (s) {
    case TrackState::Visible: return "VISIBLE";
    case TrackState::Relocalizing: return "RELOCALIZING";
    case TrackState::Lost: return "LOST";
  }
  return "UNKNOWN";
}

void validate(const VisibilityConfig& c) {
  if (!(0 <= c.theta_off && c.theta_off <= c.theta_on && c.theta_on <= 1))
    throw std::invalid_argument("visibility thresholds need 0 <= theta_off <= theta_on <= 1, got off " +
                                std::to_string(c.theta_off) + ", on " + std::to_string(c.theta_on));
  if (c.lost_after_frames < 1)
    throw std::invalid_argument("lost_after_frames must be at least 1, got " + std::to_string(c.lost_after_frames));
}

TrackState Visibility::update(double score) {
  if (score >= c_.theta_on) {
    state_ = TrackState::Visible;
    unseen_ = 0;
    return state_;
  }
  switch (state_) {
    case TrackState::Visible:
      if (score < c_.theta_off) {
        unseen_ = 1;
        state_ = unseen_ >= c_.lost_after_frames ? TrackState::Lost : TrackState::Relocalizing;
      }
      break;
    case TrackState::Relocalizing:
      if (++unseen_ >= c_.lost_after_frames) state_ = TrackState::Lost;
      break;
    case TrackState::Lost:
      ++unseen_;
      break;
  }
  return state_;
}

}  // namespace igtb
