// The dashboard's picture of the latest frame: the input downscaled, its
// label map filled in translucent colour and the labels' outlines (the
// contours at the picture's scale) drawn solid, as a PNG. The worker only
// copies a downscaled sample of the frame and its labels into a buffer it
// reuses (OverlayTap::capture, when armed, a few times a second at most); the
// colouring and the PNG are made by the caller of render_overlay_png (the
// daemon's monitoring loop), never on the worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/image.hpp"

namespace igtb {

/// A downscaled frame: grey values (any scalar type, windowed when drawn)
/// and the label values at the same samples.
struct OverlayFrame {
  int width = 0, height = 0;
  std::vector<float> grey;
  std::vector<std::uint8_t> labels;
  std::string device;      ///< the input IMAGE's device
  std::uint64_t frame = 0; ///< that stream's processed-frame counter
  double timestamp = 0;    ///< the IMAGE's timestamp, seconds
};

/// Samples `image` (2D, or a volume's middle slice; its first component)
/// and `labels` (one byte per voxel, the image's dims) at most `max_width`
/// samples wide, keeping the aspect ratio (pixel spacing ignored). Reuses
/// out's buffers: no allocation once they have the size.
void downscale_for_overlay(const ImageView& image, const std::uint8_t* labels, int max_width, OverlayFrame& out);

/// The RGB picture (width * height * 3 bytes) of a downscaled frame: grey
/// windowed to its min..max, labels 1..255 in a fixed palette (fill 35 %,
/// outline solid).
std::vector<std::uint8_t> render_overlay_rgb(const OverlayFrame& f);

/// render_overlay_rgb as a PNG.
std::vector<std::uint8_t> render_overlay_png(const OverlayFrame& f);

/// The hand-off between the workers and the monitoring loop: the loop arms
/// it; the next frame any worker finishes is captured (one copy of a few
/// hundred kB at most) and the tap disarms; the loop takes it.
class OverlayTap {
 public:
  /// Arms it for the next frame, that frame sampled `max_width` wide at most.
  void arm(int max_width = 320) {
    max_width_.store(max_width, std::memory_order_relaxed);
    armed_.store(true, std::memory_order_release);
  }
  /// Cheap: one relaxed load; the worker calls capture() only when true.
  bool armed() const { return armed_.load(std::memory_order_relaxed); }
  /// Worker: the processed frame and its labels.
  void capture(const ImageView& image, const std::uint8_t* labels, const std::string& device, std::uint64_t frame,
               double timestamp);
  /// Loop: the captured frame into `out` (buffers swapped, nothing copied); false if none since the last take.
  bool take(OverlayFrame& out);

 private:
  std::atomic<int> max_width_{320};
  std::atomic<bool> armed_{false};
  std::mutex m_;
  OverlayFrame back_;
  bool fresh_ = false;
};

}  // namespace igtb
