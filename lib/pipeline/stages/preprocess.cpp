#include "pipeline/stages/preprocess.hpp"

#include <cmath>
#include <stdexcept>

#include "pipeline/stages/resize.hpp"

namespace igtb {
namespace {

torch::ScalarType torch_type(ScalarType t) {
  switch (t) {
    case ScalarType::Int8: return torch::kInt8;
    case ScalarType::UInt8: return torch::kUInt8;
    case ScalarType::Int16: return torch::kInt16;
    case ScalarType::Int32: return torch::kInt32;
    case ScalarType::Float32: return torch::kFloat32;
    case ScalarType::Float64: return torch::kFloat64;
    case ScalarType::UInt16:  // LibTorch 1.13 has no unsigned 16/32-bit tensors
    case ScalarType::UInt32: break;
  }
  throw std::invalid_argument("IMAGE scalar type " + std::string(scalar_name(t)) + " is not supported by the pipeline");
}

}  // namespace

std::string pipeline_input_problem(const ImageInfo& img, bool volumes) {
  if (img.dims[2] != 1 && !volumes)
    return "a 3D volume (" + std::to_string(img.dims[0]) + "x" + std::to_string(img.dims[1]) + "x" +
           std::to_string(img.dims[2]) + "): the pipeline segments 2D frames";
  if (img.subvolume_size != img.dims) return "a subvolume: the pipeline takes whole images";
  if (img.components != 1 && img.components != 3 && img.components != 4)
    return std::to_string(img.components) + " components: the pipeline takes 1 (grey), 3 (RGB) or 4 (RGBA)";
  if (img.scalar == ScalarType::UInt16 || img.scalar == ScalarType::UInt32)
    return "scalar type " + std::string(scalar_name(img.scalar)) + ": the pipeline takes int8, uint8, int16, int32, "
           "float32 or float64";
  return "";
}

torch::Tensor image_tensor(const ImageView& img) {
  if (const std::string why = pipeline_input_problem(img); !why.empty())
    throw std::invalid_argument("IMAGE is " + why);
  if (!img.pixels) throw std::invalid_argument("the image has no pixels");
  return torch::from_blob(const_cast<std::uint8_t*>(img.pixels), {img.dims[1], img.dims[0], img.components},
                          torch::TensorOptions().dtype(torch_type(img.scalar)));
}

torch::Tensor volume_tensor(const ImageView& img) {
  if (const std::string why = pipeline_input_problem(img, true); !why.empty())
    throw std::invalid_argument("IMAGE is " + why);
  if (!img.pixels) throw std::invalid_argument("the image has no pixels");
  return torch::from_blob(const_cast<std::uint8_t*>(img.pixels), {img.dims[2], img.dims[1], img.dims[0], img.components},
                          torch::TensorOptions().dtype(torch_type(img.scalar)));
}

torch::Tensor upload_image(const ImageView& img, const torch::Device& device) {
  const torch::Tensor host = image_tensor(img);
  return device.is_cpu() ? host.clone() : host.to(device);
}

torch::Tensor to_unit_range(const torch::Tensor& values) {
  // An integer tensor and a floating-point scalar give float32 (ATen's type
  // promotion), the values those of a cast to float32 first; on CUDA the cast
  // happens as the scaling kernel loads: one kernel fewer a frame.
  switch (values.scalar_type()) {
    case torch::kUInt8: return values / 255.0;
    case torch::kInt8: return (values + 128.0) / 255.0;
    case torch::kInt16: return (values + 32768.0) / 65535.0;
    case torch::kInt32: return (values + 2147483648.0) / 4294967295.0;
    default: return values.to(torch::kFloat32).clamp(0.0, 1.0);
  }
}

torch::Tensor to_unit_image(const torch::Tensor& hwc) {
  if (hwc.dim() != 3) throw std::invalid_argument("to_unit_image expects [H, W, C]");
  torch::Tensor x = to_unit_range(hwc);
  const auto c = x.size(2);
  if (c == 4) x = x.slice(2, 0, 3);
  else if (c != 1 && c != 3) throw std::invalid_argument("to_unit_image expects 1, 3 or 4 components");
  return x.permute({2, 0, 1}).unsqueeze(0).contiguous();
}

torch::Tensor detector_input(const torch::Tensor& image01, std::int64_t size, torch::ScalarType dtype) {
  const auto x = resize_bilinear(image01, size, size);
  if (x.size(1) == 3 && x.scalar_type() == dtype && x.is_contiguous()) return x;
  // One copy repeats a grey channel and casts (`to` would hand back the
  // expanded view itself where no cast is needed: a stride of 0, not contiguous).
  torch::Tensor out = torch::empty({1, 3, size, size}, x.options().dtype(dtype));
  out.copy_(x.expand({1, 3, size, size}));
  return out;
}

SamNormalization SamNormalization::on(const torch::Device& device) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  return {torch::tensor({123.675f, 116.28f, 103.53f}, opts).view({1, 3, 1, 1}),
          torch::tensor({58.395f, 57.12f, 57.375f}, opts).view({1, 3, 1, 1})};
}

torch::Tensor segmenter_input(const torch::Tensor& image01, SamFrame* frame, std::int64_t size) {
  return segmenter_input(image01, frame, size, SamNormalization::on(image01.device()));
}

torch::Tensor segmenter_input(const torch::Tensor& image01, SamFrame* frame, std::int64_t size,
                              const SamNormalization& norm, torch::ScalarType dtype) {
  const auto h = image01.size(2), w = image01.size(3);
  SamFrame f;
  f.scale = double(size) / double(std::max(h, w));
  f.height = std::min<std::int64_t>(size, std::llround(double(h) * f.scale));
  f.width = std::min<std::int64_t>(size, std::llround(double(w) * f.scale));
  const torch::Tensor x = resize_bilinear(image01, f.height, f.width);
  // One pass: normalise (a grey channel broadcasts to three) into the padded square.
  torch::Tensor out = torch::zeros({1, 3, size, size}, x.options().dtype(dtype));
  out.slice(2, 0, f.height).slice(3, 0, f.width).copy_((x * 255.0 - norm.mean) / norm.std);
  if (frame) *frame = f;
  return out;
}

}  // namespace igtb
