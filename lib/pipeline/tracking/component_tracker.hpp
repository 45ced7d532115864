// The segment shape's match stage: the objects of a class map (connected
// regions, stages/components.hpp) followed from frame to frame by the same
// tracker as the detect_segment shape's (track_step.hpp: the matcher, its
// gate and the visibility state machine, TrackParams from match.* and
// visibility.*), run on the host where the class map is after its copy.
//
// Objects of different classes never match: each class has its own tracker
// state (max_tracks live tracks per class), and the tracks' ids come from
// one space over all classes (1..255, the smallest free one), so an id in
// the label map names one object. A track keeps its class for life.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/track_params.hpp"
#include "pipeline/stages/components.hpp"
#include "pipeline/stages/result.hpp"

namespace igtb {

namespace step {
struct State;
struct Scratch;
}  // namespace step

struct ObjectTracks {
  std::vector<TrackResult> tracks;  ///< every live track (box in input pixels, label its class)
  /// Per component (in the order given): the id of its track, 0 where it
  /// started none (score below match.min_new_score, or no free track).
  std::vector<std::uint8_t> id_of;
  std::uint64_t refused = 0;  ///< objects this frame that found no free track (max_tracks, or all 255 ids)
};

class ComponentTracker {
 public:
  explicit ComponentTracker(const TrackParams& params);
  ~ComponentTracker();
  ComponentTracker(ComponentTracker&&) noexcept;
  ComponentTracker& operator=(ComponentTracker&&) noexcept;

  /// One frame's objects (per class at most kMaxTracks, the largest kept)
  /// of an image width x height. Tracks come out by class, then as their
  /// class's state holds them.
  ObjectTracks update(const std::vector<Component>& objects, std::int32_t width, std::int32_t height);
  void reset();

 private:
  struct ClassState;
  /// The smallest id 1..255 that no live track of any class holds; 0 if none.
  std::uint8_t free_id() const;
  TrackParams params_;
  std::map<std::uint8_t, std::unique_ptr<ClassState>> classes_;
  std::unique_ptr<step::Scratch> scratch_;
};

}  // namespace igtb
