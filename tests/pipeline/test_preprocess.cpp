#include "pipeline/stages/preprocess.hpp"

#include <cstdint>
#include <limits>

// LibTorch's c10 logging defines a CHECK macro of its own (it aborts and
// counts nothing); these tests mean Catch's, so LibTorch comes first.
#include "../support/catch.hpp"

using namespace igtb;

namespace {

Image gray(std::uint16_t w, std::uint16_t h, std::uint8_t value) {
  Image img;
  img.dims = {w, h, 1};
  img.subvolume_size = img.dims;
  img.pixels.assign(std::size_t(w) * h, value);
  return img;
}

}  // namespace

TEST_CASE("upload keeps the pixels, row-major [H, W, C], in the image's own type") {
  Image img = gray(4, 3, 0);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i);
  const auto t = upload_image(img, torch::kCPU);
  CHECK(t.sizes() == torch::IntArrayRef({3, 4, 1}));
  CHECK(t.scalar_type() == torch::kUInt8);
  CHECK(t[2][1][0].item<int>() == 2 * 4 + 1);  // row j = 2, column i = 1
  img.pixels[0] = 99;                          // the tensor owns its bytes
  CHECK(t[0][0][0].item<int>() == 0);
  Image vol = gray(2, 2, 0);
  vol.dims[2] = 2;
  CHECK_THROWS_AS(upload_image(vol, torch::kCPU), std::invalid_argument);
}

TEST_CASE("to_unit_image scales by the type's range; grey stays one channel, the model inputs make three") {
  const auto g = to_unit_image(upload_image(gray(2, 2, 255), torch::kCPU));
  CHECK(g.sizes() == torch::IntArrayRef({1, 1, 2, 2}));
  CHECK(g.min().item<float>() == 1.0f);
  Image rgba = gray(1, 1, 0);
  rgba.components = 4;
  rgba.pixels = {51, 102, 153, 7};
  const auto c = to_unit_image(upload_image(rgba, torch::kCPU));
  CHECK(c.sizes() == torch::IntArrayRef({1, 3, 1, 1}));
  CHECK(c[0][0][0][0].item<float>() == Approx(0.2));
  CHECK(c[0][2][0][0].item<float>() == Approx(0.6));
  const auto i16 = to_unit_image(torch::tensor({-32768, 32767}, torch::kInt16).view({1, 2, 1}));
  CHECK(i16.sizes() == torch::IntArrayRef({1, 1, 1, 2}));
  CHECK(i16[0][0][0][0].item<float>() == Approx(0.0));
  CHECK(i16[0][0][0][1].item<float>() == Approx(1.0));
}

TEST_CASE("to_unit_range gives exactly the values of a cast to float32 first") {
  const auto u8 = torch::arange(256, torch::kInt32).to(torch::kUInt8);
  CHECK(torch::equal(to_unit_range(u8), u8.to(torch::kFloat32) / 255.0));
  const auto i8 = torch::arange(-128, 128, torch::kInt32).to(torch::kInt8);
  CHECK(torch::equal(to_unit_range(i8), (i8.to(torch::kFloat32) + 128.0) / 255.0));
  const auto i16 = torch::randint(-32768, 32768, {4096}, torch::kInt16);
  CHECK(torch::equal(to_unit_range(i16), (i16.to(torch::kFloat32) + 32768.0) / 65535.0));
  auto i32 = torch::randint(-2147483647, 2147483647, {4096}, torch::kInt32);
  i32[0] = std::numeric_limits<std::int32_t>::min();
  i32[1] = std::numeric_limits<std::int32_t>::max();
  CHECK(torch::equal(to_unit_range(i32), (i32.to(torch::kFloat32) + 2147483648.0) / 4294967295.0));
  CHECK(to_unit_range(i32).scalar_type() == torch::kFloat32);
  CHECK(to_unit_range(u8).scalar_type() == torch::kFloat32);
  CHECK(to_unit_range(i16).scalar_type() == torch::kFloat32);
}

TEST_CASE("detector input: a plain resize to 640x640") {
  const auto x = detector_input(to_unit_image(upload_image(gray(820, 616, 51), torch::kCPU)));
  CHECK(x.sizes() == torch::IntArrayRef({1, 3, 640, 640}));
  CHECK(x.min().item<float>() == Approx(0.2));
  CHECK(x.max().item<float>() == Approx(0.2));
  // Resizing one grey channel then repeating it equals resizing three equal channels.
  const auto grey = torch::rand({1, 1, 61, 83});
  CHECK((detector_input(grey, 64) - detector_input(grey.expand({1, 3, 61, 83}).contiguous(), 64)).abs().max().item<float>() < 1e-6f);
  // The model's precision in the same copy: contiguous, the values of a cast afterwards.
  CHECK(detector_input(grey, 64).is_contiguous());  // a grey channel repeated, not a stride-0 view
  const auto half = detector_input(grey, 64, torch::kHalf);
  CHECK(half.scalar_type() == torch::kHalf);
  CHECK(half.is_contiguous());
  CHECK(torch::equal(half, detector_input(grey, 64).to(torch::kHalf)));
  SamFrame f1, f3;
  const auto one = segmenter_input(grey, &f1, 128), three = segmenter_input(grey.expand({1, 3, 61, 83}).contiguous(), &f3, 128);
  CHECK((one - three).abs().max().item<float>() < 1e-5f);  // the same up to float rounding
  // The encoder's precision written directly: the values of a cast afterwards.
  const auto norm = SamNormalization::on(torch::kCPU);
  const auto sam_half = segmenter_input(grey, nullptr, 128, norm, torch::kHalf);
  CHECK(sam_half.scalar_type() == torch::kHalf);
  CHECK(torch::equal(sam_half, segmenter_input(grey, nullptr, 128, norm).to(torch::kHalf)));
}

TEST_CASE("segmenter input: longest side to 1024, ImageNet normalisation, zero padding bottom/right") {
  SamFrame f;
  const auto x = segmenter_input(to_unit_image(upload_image(gray(820, 616, 128), torch::kCPU)), &f);
  CHECK(x.sizes() == torch::IntArrayRef({1, 3, 1024, 1024}));
  CHECK(f.scale == Approx(1024.0 / 820));
  CHECK(f.width == 1024);
  CHECK(f.height == 769);  // round(616 * 1024 / 820)
  CHECK(x[0][0][0][0].item<float>() == Approx((128 - 123.675) / 58.395).margin(1e-4));
  CHECK(x[0][2][768][1023].item<float>() == Approx((128 - 103.53) / 57.375).margin(1e-4));
  CHECK(x[0][1][769][0].item<float>() == 0.0f);  // padding below the image
  CHECK(x.slice(2, 769).abs().max().item<float>() == 0.0f);
}
