// The match stage of the pipeline: the tracker (track_step.hpp) with its
// state on the pipeline's device. On CUDA one warp-sized kernel per frame
// reads the detect stage's tensors, updates the tracks in device memory and
// writes the packed result's track block and the segmenter's box slots: no
// host round trip, no sync, fixed shapes (capturable in a CUDA graph). On
// the CPU the same step runs on the host.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "pipeline/stages/detect.hpp"
#include "pipeline/tracking/track_step.hpp"
#include "core/track_params.hpp"

namespace igtb {

struct TrackSlots {
  torch::Tensor boxes;  ///< [slots, 4] float x0, y0, x1, y1 input pixels: VISIBLE tracks first, then padding
  torch::Tensor ids;    ///< [slots] uint8: their ids, 0 for padding
};

/// The step's parameters for the tracker's and a slot count (width and
/// height left 0: set per frame). Throws std::invalid_argument for
/// max_tracks or slots outside 1..64 (the step's array bounds); the other
/// values are the config's to check.
step::Params tracker_params(const TrackParams& params, int slots);

class DeviceTracker {
 public:
  /// `slots` boxes go to the segmenter each frame (1..64); the config's
  /// max_tracks must be 1..64. Throws std::invalid_argument otherwise.
  DeviceTracker(const TrackParams& params, int slots, const torch::Device& device);
  ~DeviceTracker();
  DeviceTracker(DeviceTracker&&) noexcept;
  DeviceTracker& operator=(DeviceTracker&&) noexcept;

  /// One frame: `dets` from postprocess_detections (top_k <= 64) on this
  /// device; `block` a uint8 tensor of block_bytes() on this device, 4-byte
  /// aligned, receiving the track block (result.hpp's layout).
  TrackSlots update(const DetectionSet& dets, std::int64_t width, std::int64_t height, torch::Tensor& block);

  std::int64_t block_bytes() const { return step::track_block_bytes(params_.track.max_tracks); }
  int slots() const { return params_.slots; }
  void reset();
  /// A host copy of the state: for tests and diagnostics (a sync on CUDA).
  step::State state() const;

 private:
  step::Params params_;
  torch::Device device_;
  torch::Tensor state_;  ///< uint8 [sizeof(step::State)] on the device
  std::unique_ptr<step::Scratch> scratch_;  ///< the host step's working memory
};

/// Exact assignments of a batch of cost matrices [B, rows, cols] (float64,
/// rows and cols <= 64) on their device: int32 [B, rows], the column of each
/// row or -1. The CUDA solver is one warp per matrix; on the CPU the same
/// code runs on the host. Equal to solve_assignment, ties included.
torch::Tensor assign_batch(const torch::Tensor& costs);

}  // namespace igtb
