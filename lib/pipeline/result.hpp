// The result stage: everything a frame produces on the device (label map,
// boxes, scores, ids, states) packed into one contiguous byte tensor, so
// exactly one device-to-host copy brings it back; unpacked on the host.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace igtb {

/// labels [H, W] uint8; boxes [N, 4] float (input pixels x0, y0, x1, y1);
/// scores [N] float; ids [N] uint8; states [N] uint8, all on one device.
/// Layout: int32 H, W, N | labels | boxes | scores | ids | states.
torch::Tensor pack_result(const torch::Tensor& labels, const torch::Tensor& boxes, const torch::Tensor& scores,
                          const torch::Tensor& ids, const torch::Tensor& states);

struct TrackResult {
  std::uint8_t id = 0;
  std::uint8_t state = 0;
  float score = 0;
  float box[4] = {0, 0, 0, 0};
};

struct FrameResult {
  std::int32_t height = 0, width = 0;
  std::vector<std::uint8_t> labels;  ///< height * width, row-major
  std::vector<TrackResult> tracks;
};

/// Reads a packed result from host bytes. Throws std::invalid_argument if
/// the sizes disagree with the header.
FrameResult unpack_result(const std::uint8_t* bytes, std::size_t size);

}  // namespace igtb
