#include "oracle/visibility.hpp"

#include "pipeline/tracking/track_step.hpp"

namespace igtb {

TrackState Visibility::update(double score) {
  auto state = static_cast<std::uint8_t>(state_);
  step::visibility_update(state, unseen_, score, c_.theta_on, c_.theta_off, c_.lost_after_frames);
  state_ = static_cast<TrackState>(state);
  return state_;
}

}  // namespace igtb
