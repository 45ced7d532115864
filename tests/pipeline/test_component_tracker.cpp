// The segment shape's match stage: regions followed by the tracker, one
// state per class, one id space.
#include "pipeline/tracking/component_tracker.hpp"

#include <vector>

#include "../support/catch.hpp"

using namespace igtb;

namespace {

Component box(std::uint8_t label, int x0, int y0, int side, double score = 0.95) {
  Component c;
  c.label = label;
  c.x0 = x0;
  c.y0 = y0;
  c.x1 = x0 + side - 1;
  c.y1 = y0 + side - 1;
  c.area = std::int64_t(side) * side;
  c.score = score;
  return c;
}

const TrackResult* find(const ObjectTracks& t, std::uint8_t id) {
  for (const auto& r : t.tracks)
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("objects keep their ids while they move; the classes are apart and share one id space") {
  TrackParams params;
  params.lost_after_frames = 3;
  ComponentTracker tracker(params);
  std::uint8_t a = 0, b = 0;
  for (int f = 0; f < 10; ++f) {
    INFO("frame " << f);
    // The class-2 object sits exactly where the class-1 one is: still apart.
    const std::vector<Component> objects{box(1, 20 + 2 * f, 30, 20), box(2, 20 + 2 * f, 30, 20)};
    const ObjectTracks t = tracker.update(objects, 200, 100);
    REQUIRE(t.tracks.size() == 2);
    REQUIRE(t.id_of.size() == 2);
    if (f == 0) {
      a = t.id_of[0];
      b = t.id_of[1];
      CHECK(a != 0);
      CHECK(b != 0);
      CHECK(a != b);
    }
    CHECK(t.id_of[0] == a);
    CHECK(t.id_of[1] == b);
    const TrackResult* ta = find(t, a);
    REQUIRE(ta != nullptr);
    CHECK(ta->label == 1);
    CHECK(ta->state == std::uint8_t(TrackState::Visible));
    CHECK(ta->box[0] == Approx(20 + 2 * f));
    CHECK(ta->box[2] == Approx(40 + 2 * f));
    CHECK(ta->box[3] == Approx(50));
    CHECK(find(t, b)->label == 2);
  }
}

TEST_CASE("a region of another class where a track was does not continue it; unseen tracks relocalize, then are lost") {
  TrackParams params;
  params.lost_after_frames = 3;
  ComponentTracker tracker(params);
  const ObjectTracks first = tracker.update({box(1, 10, 10, 30)}, 100, 100);
  const std::uint8_t one = first.id_of[0];
  const ObjectTracks swapped = tracker.update({box(2, 10, 10, 30)}, 100, 100);
  REQUIRE(swapped.tracks.size() == 2);
  const std::uint8_t two = swapped.id_of[0];
  CHECK(two != one);
  CHECK(find(swapped, one)->state == std::uint8_t(TrackState::Relocalizing));
  CHECK(find(swapped, two)->label == 2);
  ObjectTracks t;
  for (int f = 0; f < 3; ++f) t = tracker.update({box(2, 10, 10, 30)}, 100, 100);
  CHECK(find(t, one)->state == std::uint8_t(TrackState::Lost));
  CHECK(find(t, one)->label == 1);
  // It comes back: the same track, visible again.
  t = tracker.update({box(1, 11, 10, 30), box(2, 10, 10, 30)}, 100, 100);
  CHECK(t.id_of[0] == one);
  CHECK(find(t, one)->state == std::uint8_t(TrackState::Visible));

  // A low score starts no track; reset forgets all.
  CHECK(tracker.update({box(3, 60, 60, 10, 0.3)}, 100, 100).id_of[0] == 0);
  tracker.reset();
  const ObjectTracks fresh = tracker.update({box(2, 50, 50, 10)}, 100, 100);
  CHECK(fresh.tracks.size() == 1);
  CHECK(fresh.id_of[0] == 1);
}

TEST_CASE("max_tracks holds per class, and ids stay unique over classes") {
  TrackParams params;
  params.max_tracks = 4;
  ComponentTracker tracker(params);
  std::vector<Component> objects;
  for (int i = 0; i < 6; ++i) objects.push_back(box(1, 15 * i, 0, 10));
  for (int i = 0; i < 3; ++i) objects.push_back(box(2, 15 * i, 50, 10));
  const ObjectTracks t = tracker.update(objects, 100, 100);
  CHECK(t.tracks.size() == 7);  // 4 of class 1, 3 of class 2
  CHECK(t.refused == 2);
  std::vector<int> seen(256, 0);
  for (const auto& r : t.tracks) CHECK(++seen[r.id] == 1);
  CHECK_THROWS_AS(tracker.update({box(0, 0, 0, 4)}, 100, 100), std::invalid_argument);
  params.max_tracks = 65;
  CHECK_THROWS_AS(ComponentTracker(params), std::invalid_argument);
}
