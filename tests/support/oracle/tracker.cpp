#include "oracle/tracker.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace igtb {

Tracker::Tracker(TrackParams config) : c_(config) {
  if (c_.max_tracks < 1 || c_.max_tracks > 255)
    throw std::invalid_argument("max_tracks must be 1..255, got " + std::to_string(c_.max_tracks));
}

std::uint8_t Tracker::free_id() {
  if (tracks_.size() >= std::size_t(c_.max_tracks)) {  // full: the LOST track seen longest ago makes room
    auto oldest = tracks_.end();
    for (auto it = tracks_.begin(); it != tracks_.end(); ++it)
      if (it->visibility.state() == TrackState::Lost && (oldest == tracks_.end() || it->last_seen < oldest->last_seen))
        oldest = it;
    if (oldest == tracks_.end()) return 0;
    tracks_.erase(oldest);
  }
  std::array<bool, 256> used{};
  for (const auto& t : tracks_) used[t.id] = true;
  for (int id = 1; id <= 255; ++id)
    if (!used[std::size_t(id)]) return static_cast<std::uint8_t>(id);
  return 0;  // unreachable: fewer than 255 tracks remain
}

std::vector<std::uint8_t> Tracker::update(const std::vector<Detection>& detections) {
  ++frame_;
  std::vector<Box> boxes;
  boxes.reserve(tracks_.size());
  for (const auto& t : tracks_) boxes.push_back(t.box);
  const MatchResult m = match_detections(detections, boxes, c_);

  std::vector<double> score(tracks_.size(), 0.0);
  std::vector<std::uint8_t> ids(detections.size(), 0);
  for (std::size_t d = 0; d < detections.size(); ++d) {
    const int t = m.track_of_detection[d];
    if (t < 0) continue;
    Track& track = tracks_[std::size_t(t)];
    track.box = detections[d].box;
    track.last_seen = frame_;
    score[std::size_t(t)] = detections[d].score;
    ids[d] = track.id;
  }
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    tracks_[i].score = score[i];
    tracks_[i].visibility.update(score[i]);
  }
  for (std::size_t d = 0; d < detections.size(); ++d) {
    if (m.track_of_detection[d] >= 0 || detections[d].score < c_.min_new_score) continue;
    const std::uint8_t id = free_id();
    if (id == 0) {
      ++refused_;
      continue;
    }
    Track t{id, detections[d].box, detections[d].score, Visibility(c_), frame_};
    t.visibility.update(detections[d].score);
    tracks_.push_back(t);
    ids[d] = id;
  }
  return ids;
}

}  // namespace igtb
