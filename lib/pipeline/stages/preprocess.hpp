// The upload and preprocess stages: frame bytes -> a tensor on the configured
// device -> the detector's and the segmenter's inputs. Everything after the
// upload stays on that device.
#pragma once

#include <torch/torch.h>

#include "core/image.hpp"

namespace igtb {

/// Why the pipeline cannot take an image of this shape and type ("" if it
/// can): a 3D volume (unless `volumes`: the segment shape takes them slice
/// by slice), a subvolume, 2 or more than 4 components, or a scalar type
/// LibTorch has no tensor for. Such images are still forwarded.
std::string pipeline_input_problem(const ImageInfo& info, bool volumes = false);

/// The IMAGE's pixels as a [H, W, C] host tensor of their own scalar type,
/// viewing `img` (no copy). Throws std::invalid_argument for an image the
/// pipeline cannot take (3D, subvolume, components, scalar type).
torch::Tensor image_tensor(const ImageView& img);

/// A 2D image or a 3D volume's pixels as a [D, H, W, C] host tensor of
/// their own scalar type (D = 1 for a 2D image), viewing `img` (no copy).
/// Throws std::invalid_argument as image_tensor() does, volumes allowed.
torch::Tensor volume_tensor(const ImageView& img);

/// The IMAGE's pixels as a [H, W, C] tensor of their own scalar type on
/// `device` (one host-to-device copy for CUDA; an owned copy on CPU). 2D only.
torch::Tensor upload_image(const ImageView& img, const torch::Device& device);

/// Values of any supported type -> float in [0, 1], as to_unit_image scales them.
torch::Tensor to_unit_range(const torch::Tensor& values);

/// [H, W, C] of any supported type -> [1, C', H, W] float in [0, 1]:
/// integers are scaled by their type's range (uint8 / 255, uint16 / 65535,
/// int8 and int16 shifted to start at 0), floats are clamped to [0, 1];
/// a fourth component (alpha) is dropped. One component stays one channel
/// (C' = 1): the model inputs below repeat it to three after resizing, which
/// gives the same values as resizing three equal channels at a third of the cost.
torch::Tensor to_unit_image(const torch::Tensor& hwc);

/// D-FINE style: plain (bilinear) resize of [1, 1 or 3, H, W] to [1, 3, size, size],
/// contiguous, in `dtype` (the grey channel's repetition and the cast are one copy).
torch::Tensor detector_input(const torch::Tensor& image01, std::int64_t size = 640,
                             torch::ScalarType dtype = torch::kFloat32);

/// Where the SAM-style input lies in its padded square.
struct SamFrame {
  double scale = 1;          ///< input pixels -> SAM pixels
  std::int64_t height = 0;   ///< of the resized image inside the square
  std::int64_t width = 0;
};

/// ImageNet mean and std on the 0-255 scale, [1, 3, 1, 1] float each, on a
/// device: a pipeline makes them once, so no frame uploads constants.
struct SamNormalization {
  torch::Tensor mean, std;
  static SamNormalization on(const torch::Device& device);
};

/// SAM style: resize the longest side to `size` (keeping the aspect),
/// normalise with `norm` (a grey channel serves all three), pad bottom/right
/// with zeros to [1, 3, size, size]. `image01` is [1, 1 or 3, H, W] float;
/// the result is in `dtype` (cast as the normalised values are written).
torch::Tensor segmenter_input(const torch::Tensor& image01, SamFrame* frame, std::int64_t size,
                              const SamNormalization& norm, torch::ScalarType dtype = torch::kFloat32);
/// The same, making the constants on the image's device (tests, one-offs).
torch::Tensor segmenter_input(const torch::Tensor& image01, SamFrame* frame, std::int64_t size = 1024);

}  // namespace igtb
