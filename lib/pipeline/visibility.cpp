#include "pipeline/visibility.hpp"

#include <stdexcept>

#include "pipeline/track_step.hpp"
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
  auto state = static_cast<std::uint8_t>(state_);
  step::visibility_update(state, unseen_, score, c_.theta_on, c_.theta_off, c_.lost_after_frames);
  state_ = static_cast<TrackState>(state);
  return state_;
}

}  // namespace igtb
