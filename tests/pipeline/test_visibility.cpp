#include "../support/catch.hpp"

#include <vector>

#include "oracle/visibility.hpp"

using namespace igtb;

namespace {

std::vector<TrackState> run(Visibility& v, const std::vector<double>& scores) {
  std::vector<TrackState> out;
  for (double s : scores) out.push_back(v.update(s));
  return out;
}

constexpr auto V = TrackState::Visible;
constexpr auto R = TrackState::Relocalizing;
constexpr auto L = TrackState::Lost;

}  // namespace

TEST_CASE("a track goes VISIBLE -> RELOCALIZING -> LOST -> VISIBLE as a target leaves and returns") {
  TrackParams c;
  c.lost_after_frames = 3;
  Visibility v(c);
  // seen, seen, gone x4, back
  CHECK(run(v, {0.9, 0.8, 0.0, 0.0, 0.0, 0.0, 0.7}) == std::vector<TrackState>{V, V, R, R, L, L, V});
  CHECK(v.frames_unseen() == 0);
}

TEST_CASE("hysteresis: between theta_off and theta_on the state holds") {
  Visibility v(TrackParams{});
  CHECK(v.state() == R);                  // a new track is not visible yet
  CHECK(v.update(0.5) == R);              // 0.4 <= 0.5 < 0.6: not enough to enter
  CHECK(v.update(0.6) == V);              // theta_on itself enters
  CHECK(v.update(0.45) == V);             // not below theta_off: stays
  CHECK(v.update(0.4) == V);              // theta_off itself stays
  CHECK(v.update(0.39) == R);             // below theta_off: leaves
  CHECK(v.update(0.59) == R);             // below theta_on: still relocalizing
  CHECK(v.update(0.61) == V);
}

TEST_CASE("LOST comes after exactly lost_after_frames frames without theta_on") {
  for (int n : {1, 2, 5, 10}) {
    INFO("lost_after_frames " << n);
    TrackParams c;
    c.lost_after_frames = n;
    Visibility v(c);
    v.update(1.0);
    int frames = 0;
    while (v.update(0.5 * (frames % 2)) != L) ++frames;  // scores 0 and 0.5, never theta_on
    CHECK(frames + 1 == n);
  }
}

TEST_CASE("track states have their names (the state message's)") {
  // Bad thresholds are the config's to refuse (tests/config: visibility.theta_off must be <= theta_on).
  CHECK(track_state_name(TrackState::Visible) == "VISIBLE");
  CHECK(track_state_name(TrackState::Relocalizing) == "RELOCALIZING");
  CHECK(track_state_name(TrackState::Lost) == "LOST");
  CHECK(track_state_name(TrackState(7)) == "UNKNOWN");
}
