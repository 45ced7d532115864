// The test oracle's match arithmetic (the pipeline's device tracker runs the
// same functions of track_step.hpp): the seeds' matching cost
//   w_class * focal class cost + w_l1 * L1(box) + w_giou * (-GIoU)
// between this frame's detections and the live tracks, and the exact
// assignment with gating (a pair above the gate starts a new track).
#pragma once

#include <vector>

#include "core/track_params.hpp"
#include "oracle/assignment.hpp"

namespace igtb {

/// A box as D-FINE gives it: centre x, centre y, width, height, normalised to [0, 1].
struct Box {
  double cx = 0, cy = 0, w = 0, h = 0;
};

/// Focal-style class cost of a detection whose probability for the track's
/// class is p: alpha (1-p)^gamma (-log p) - (1-alpha) p^gamma (-log(1-p)),
/// with 1e-8 inside the logarithms as the seeds' matcher has it.
double focal_class_cost(double p, double alpha, double gamma);
/// Sum of absolute differences of cx, cy, w, h.
double box_l1(const Box& a, const Box& b);
/// Generalised IoU of the two boxes, in [-1, 1].
double giou(const Box& a, const Box& b);

struct Detection {
  Box box;
  double score = 0;  ///< probability of the tracked class
};

/// Detections are rows, tracks columns.
CostMatrix match_costs(const std::vector<Detection>& detections, const std::vector<Box>& tracks,
                       const TrackParams& w);

struct MatchResult {
  std::vector<int> track_of_detection;  ///< track index, or -1: a new track
  std::vector<double> cost;             ///< of each detection's pair (0 where unmatched)
};

/// Exact minimum-cost assignment, then pairs above the gate are undone.
MatchResult match_detections(const std::vector<Detection>& detections, const std::vector<Box>& tracks,
                             const TrackParams& w);

}  // namespace igtb
