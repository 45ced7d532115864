#include "pipeline/tracking/component_tracker.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "pipeline/tracking/device_tracker.hpp"
#include "pipeline/tracking/track_step.hpp"

namespace igtb {

/// One class's tracks: the step's state, and the id each of its own ids
/// (1..kMaxSide, the step's) stands for in the shared space.
struct ComponentTracker::ClassState {
  step::State state{};
  std::uint8_t shared[step::kMaxSide + 1] = {};
};

ComponentTracker::ComponentTracker(const TrackParams& params)
    : params_(params), scratch_(std::make_unique<step::Scratch>()) {
  tracker_params(params_, 1);  // the step's bounds (max_tracks 1..64): throws std::invalid_argument
}

ComponentTracker::~ComponentTracker() = default;
ComponentTracker::ComponentTracker(ComponentTracker&&) noexcept = default;
ComponentTracker& ComponentTracker::operator=(ComponentTracker&&) noexcept = default;

void ComponentTracker::reset() { classes_.clear(); }

std::uint8_t ComponentTracker::free_id() const {
  bool taken[256] = {};
  for (const auto& [label, cs] : classes_)
    for (int t = 0; t < cs->state.count; ++t) taken[cs->shared[cs->state.id[t]]] = true;
  for (int id = 1; id < 256; ++id)
    if (!taken[id]) return std::uint8_t(id);
  return 0;
}

ObjectTracks ComponentTracker::update(const std::vector<Component>& objects, std::int32_t width,
                                      std::int32_t height) {
  if (width < 1 || height < 1) throw std::invalid_argument("ComponentTracker: empty image");
  ObjectTracks out;
  out.id_of.assign(objects.size(), 0);
  // Every class seen now or before runs a step (an unseen class's tracks age).
  std::map<std::uint8_t, std::vector<std::size_t>> of_class;
  for (const auto& [label, cs] : classes_) of_class[label];
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (objects[i].label == 0) throw std::invalid_argument("ComponentTracker: an object of class 0 (background)");
    of_class[objects[i].label].push_back(i);
  }
  step::Params p = tracker_params(params_, 1);
  p.width = width;
  p.height = height;
  // The step's outputs for a segmenter and a packed block: unused here (the
  // tracks are read from the state), written all the same.
  std::vector<std::uint8_t> block(std::size_t(step::track_block_bytes(p.track.max_tracks)) + 4);
  std::uint8_t* aligned = block.data() + (4 - reinterpret_cast<std::uintptr_t>(block.data()) % 4) % 4;
  float seg_box[step::kMaxSide * 4];  // sized for any slot count, as the compiler cannot see it is 1
  std::uint8_t seg_id[step::kMaxSide];

  for (auto& [label, order] : of_class) {
    auto& slot = classes_[label];
    if (!slot) slot = std::make_unique<ClassState>();
    ClassState& cs = *slot;
    step::State& st = cs.state;
    // The largest kMaxSide objects, by score descending (the detect stage's
    // order, which the step's new tracks follow).
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return objects[a].area > objects[b].area; });
    if (order.size() > std::size_t(step::kMaxSide)) order.resize(std::size_t(step::kMaxSide));
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return objects[a].score > objects[b].score; });
    const int k = int(order.size());
    float scores[step::kMaxSide], boxes[step::kMaxSide * 4];
    bool valid[step::kMaxSide];
    for (int d = 0; d < k; ++d) {
      const Component& c = objects[order[std::size_t(d)]];
      const double x0 = double(c.x0) / width, x1 = double(c.x1 + 1) / width;
      const double y0 = double(c.y0) / height, y1 = double(c.y1 + 1) / height;
      scores[d] = float(c.score);
      boxes[4 * d + 0] = float((x0 + x1) / 2);
      boxes[4 * d + 1] = float((y0 + y1) / 2);
      boxes[4 * d + 2] = float(x1 - x0);
      boxes[4 * d + 3] = float(y1 - y0);
      valid[d] = true;
    }
    std::uint8_t id_before[step::kMaxSide];
    for (int t = 0; t < st.count; ++t) id_before[t] = st.id[t];
    const std::uint64_t refused_before = st.refused;
    step::frame_step(step::HostLanes{}, p, st, *scratch_, step::Inputs{scores, boxes, valid, k},
                     step::Outputs{aligned, seg_box, seg_id});
    out.refused += st.refused - refused_before;

    // Which step ids continue a track: those a detection matched (the
    // step's assignment, by the track's index before the step) and those
    // not seen this frame. A track seen this frame that no detection
    // matched is new, even where it took the id of a track that made room.
    bool matched[step::kMaxSide + 1] = {};
    for (int d = 0; d < k; ++d)
      if (const int t = scratch_->col_of_row[d]; t >= 0) matched[id_before[t]] = true;
    for (int t = 0; t < st.count;) {
      const bool fresh = st.last_seen[t] == st.frame && !matched[st.id[t]];
      if (fresh) cs.shared[st.id[t]] = 0;
      if (cs.shared[st.id[t]] == 0) {
        const std::uint8_t id = free_id();
        if (id == 0) {  // every shared id is live: this new track cannot be named
          step::erase_track(st, t);
          ++out.refused;
          continue;
        }
        cs.shared[st.id[t]] = id;
      }
      ++t;
    }
    // Each detection's track: the one it matched, or the new track that
    // holds its box exactly (the step copies it).
    for (int d = 0; d < k; ++d) {
      std::uint8_t step_id = 0;
      if (const int t = scratch_->col_of_row[d]; t >= 0) {
        step_id = id_before[t];
      } else {
        for (int t2 = 0; t2 < st.count && step_id == 0; ++t2) {
          if (st.last_seen[t2] != st.frame || matched[st.id[t2]]) continue;
          bool same = true;
          for (int c = 0; c < 4; ++c) same = same && st.box[t2][c] == double(boxes[4 * d + c]);
          if (same) step_id = st.id[t2];
        }
      }
      bool live = false;
      for (int t = 0; t < st.count; ++t) live = live || st.id[t] == step_id;
      if (step_id != 0 && live) out.id_of[order[std::size_t(d)]] = cs.shared[step_id];
    }
    for (int t = 0; t < st.count; ++t) {
      TrackResult r;
      r.id = cs.shared[st.id[t]];
      r.state = st.state[t];
      r.score = float(st.score[t]);
      r.label = label;
      const double* b = st.box[t];
      r.box[0] = float((b[0] - b[2] / 2) * width);
      r.box[1] = float((b[1] - b[3] / 2) * height);
      r.box[2] = float((b[0] + b[2] / 2) * width);
      r.box[3] = float((b[1] + b[3] / 2) * height);
      out.tracks.push_back(r);
    }
  }
  return out;
}

}  // namespace igtb
