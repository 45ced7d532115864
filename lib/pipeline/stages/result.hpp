// The result stage: everything a frame produces on the device (label map,
// boxes, scores, ids, states) packed into one contiguous byte tensor, so
// exactly one device-to-host copy brings it back; unpacked on the host.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace igtb {

/// The packed layout: the track block (track_step.hpp: int32 H, W, N, CAP,
/// unsegmented, 0, 0, 0 | boxes float[CAP][4] | scores float[CAP] |
/// ids uint8[CAP] | states uint8[CAP]; the first N entries live) and the
/// label map uint8[H][W]. The pipeline's tracker writes the block on the
/// device and the segment stage the labels behind it; pack_result builds the
/// same bytes from separate tensors (CAP = N), for tests and tools.
///
/// labels [H, W] uint8; boxes [N, 4] float (input pixels x0, y0, x1, y1);
/// scores [N] float; ids [N] uint8; states [N] uint8, all on one device.
torch::Tensor pack_result(const torch::Tensor& labels, const torch::Tensor& boxes, const torch::Tensor& scores,
                          const torch::Tensor& ids, const torch::Tensor& states);

struct TrackResult {
  std::uint8_t id = 0;
  std::uint8_t state = 0;
  float score = 0;
  float box[4] = {0, 0, 0, 0};
  /// The object's class in the segment shape (pipeline.kind: segment); 0 in
  /// the detect_segment shape, whose tracks carry no class.
  std::uint8_t label = 0;
};

struct FrameResult {
  std::int32_t height = 0, width = 0;
  std::int32_t depth = 1;  ///< slices: > 1 for a 3D volume (the segment shape, slice by slice)
  std::vector<std::uint8_t> labels;  ///< depth * height * width, row-major, slice after slice
  std::vector<TrackResult> tracks;
  std::int32_t unsegmented = 0;  ///< VISIBLE tracks beyond the segmenter's slots (no mask this frame)
  /// The segment shape's foreground probability, 0..255 per pixel (as
  /// labels), where the pipeline was asked to keep it; empty otherwise.
  std::vector<std::uint8_t> probability;
  /// A volume's voxels per class value (index 0 background; up to the
  /// largest class present); empty for a 2D frame, whose objects are tracks.
  std::vector<std::uint64_t> class_voxels;
};

/// Reads a packed result from host bytes. Throws std::invalid_argument if
/// the sizes disagree with the header.
FrameResult unpack_result(const std::uint8_t* bytes, std::size_t size);

}  // namespace igtb
