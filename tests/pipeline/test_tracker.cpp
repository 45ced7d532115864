#include "../support/catch.hpp"

#include "oracle/tracker.hpp"

using namespace igtb;

namespace {

Detection at(double cx, double cy, double score = 0.9) { return {{cx, cy, 0.1, 0.1}, score}; }

const Track& by_id(const Tracker& t, std::uint8_t id) {
  for (const auto& tr : t.tracks())
    if (tr.id == id) return tr;
  FAIL("no track " << int(id));
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("two moving targets keep their ids; one leaves, is LOST, comes back with its old id") {
  TrackParams c;
  c.lost_after_frames = 3;
  Tracker tr(c);
  CHECK(tr.update({at(0.2, 0.2), at(0.7, 0.7)}) == std::vector<std::uint8_t>{1, 2});
  // The detector's order changes; the ids follow the targets, not the order.
  CHECK(tr.update({at(0.72, 0.71), at(0.21, 0.2)}) == std::vector<std::uint8_t>{2, 1});
  CHECK(by_id(tr, 1).visibility.state() == TrackState::Visible);
  // Target 2 disappears for 4 frames.
  std::vector<TrackState> states;
  for (int f = 0; f < 4; ++f) {
    CHECK(tr.update({at(0.22 + 0.01 * f, 0.2)}) == std::vector<std::uint8_t>{1});
    states.push_back(by_id(tr, 2).visibility.state());
  }
  CHECK(states == std::vector<TrackState>{TrackState::Relocalizing, TrackState::Relocalizing, TrackState::Lost,
                                          TrackState::Lost});
  CHECK(by_id(tr, 1).visibility.state() == TrackState::Visible);
  // It returns near where it was: same id, VISIBLE again, no new track.
  CHECK(tr.update({at(0.26, 0.2), at(0.73, 0.72)}) == std::vector<std::uint8_t>{1, 2});
  CHECK(by_id(tr, 2).visibility.state() == TrackState::Visible);
  CHECK(tr.tracks().size() == 2);
}

TEST_CASE("weak detections start no track; a far detection starts a new one") {
  Tracker tr(TrackParams{});
  CHECK(tr.update({at(0.5, 0.5, 0.3)}) == std::vector<std::uint8_t>{0});
  CHECK(tr.tracks().empty());
  CHECK(tr.update({at(0.5, 0.5)}) == std::vector<std::uint8_t>{1});
  CHECK(tr.update({at(0.5, 0.5), at(0.1, 0.9)}) == std::vector<std::uint8_t>{1, 2});
}

TEST_CASE("ids stay within 1..255: beyond that the oldest LOST id is reused, else the detection is refused") {
  TrackParams c;
  c.lost_after_frames = 1;
  c.max_tracks = 255;
  Tracker tr(c);
  // 255 targets seen once each, one per frame, far apart (the id logic, not
  // the geometry, is under test): each becomes LOST the next frame.
  for (int k = 0; k < 255; ++k) tr.update({at(1.0 * k, 0.5)});
  CHECK(tr.tracks().size() == 255);
  // A 256th target far from all: takes the id of the LOST track seen longest ago (1).
  const auto ids = tr.update({at(1000.0, 0.5)});
  CHECK(ids == std::vector<std::uint8_t>{1});
  CHECK(tr.tracks().size() == 255);
  CHECK(tr.refused() == 0);
}

TEST_CASE("with all 255 ids held by live tracks a new target is refused and counted") {
  TrackParams c;
  c.max_tracks = 255;
  Tracker tr(c);
  std::vector<Detection> many;
  for (int k = 0; k < 256; ++k) many.push_back(at(1.0 * k, 0.5));
  const auto ids = tr.update(many);
  CHECK(ids[0] == 1);
  CHECK(ids[254] == 255);
  CHECK(ids[255] == 0);
  CHECK(tr.refused() == 1);
  CHECK(tr.tracks().size() == 255);
}
