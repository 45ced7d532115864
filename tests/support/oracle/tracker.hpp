// The test oracle: the CPU reference tracker the device tracker is held
// against (tests/pipeline/test_device_tracker*.cpp). Tracks with stable integer IDs (label values 1..255): each frame's
// detections are matched to every known track (LOST ones too, so a target
// that comes back keeps its ID), unmatched detections start tracks, and
// every track's visibility advances by one frame.
#pragma once

#include <cstdint>
#include <vector>

#include "oracle/match.hpp"
#include "oracle/visibility.hpp"

namespace igtb {

struct Track {
  std::uint8_t id = 0;  ///< 1..255, the label value
  Box box;              ///< last matched box
  double score = 0;     ///< this frame's matched score (0 when unmatched)
  Visibility visibility;
  std::uint64_t last_seen = 0;  ///< frame index of the last match
};

class Tracker {
 public:
  /// max_tracks may be up to 255 here (the pipeline's device tracker takes up to 64).
  explicit Tracker(TrackParams config);

  /// One frame: match, create, advance. Returns, for each detection, the id
  /// of its track (0 when it starts none: below min_new_score, or no id free).
  std::vector<std::uint8_t> update(const std::vector<Detection>& detections);

  const std::vector<Track>& tracks() const { return tracks_; }
  std::uint64_t frame() const { return frame_; }
  /// Detections that found no room (max_tracks tracks live, none LOST).
  std::uint64_t refused() const { return refused_; }

 private:
  std::uint8_t free_id();

  TrackParams c_;
  std::vector<Track> tracks_;
  std::uint64_t frame_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace igtb
