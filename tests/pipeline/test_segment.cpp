#include "pipeline/stages/segment.hpp"

#include <utility>
#include <vector>

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#undef CHECK
#include <catch2/catch.hpp>

using namespace igtb;

TEST_CASE("mask logits come back to input pixels: up to 1024, un-padded, down to H x W, thresholded at 0") {
  // An 820x616 frame: in the SAM square it is 1024 wide, 769 high (scale 1024/820).
  SamFrame f;
  segmenter_input(torch::zeros({1, 3, 616, 820}), &f);
  // Logit +10 on the 256-grid cells [64, 128) x [64, 128), i.e. SAM pixels [256, 512).
  auto logits = torch::full({1, 1, 256, 256}, -10.0f);
  logits.slice(2, 64, 128).slice(3, 64, 128).fill_(10.0f);
  const auto m = masks_from_logits(logits, f, 616, 820);
  CHECK(m.sizes() == torch::IntArrayRef({1, 616, 820}));
  CHECK(m.scalar_type() == torch::kBool);
  // SAM [256, 512) / 1.2488 = input [205, 410): inside set, outside not.
  CHECK(m[0][300][300].item<bool>());
  CHECK(m[0][210][400].item<bool>());
  CHECK_FALSE(m[0][195][300].item<bool>());
  CHECK_FALSE(m[0][300][420].item<bool>());
  CHECK_FALSE(m[0][600][800].item<bool>());
  const double side = 256.0 / f.scale;
  CHECK(m.sum().item<double>() == Approx(side * side).epsilon(0.03));
}

TEST_CASE("masks_from_logits upsamples only the image part, and gives what the whole square gives") {
  namespace F = torch::nn::functional;
  const auto up = [](const torch::Tensor& x, std::int64_t h, std::int64_t w) {  // SAM's postprocess_masks, as written
    return F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{h, w}).mode(torch::kBilinear).align_corners(false));
  };
  torch::manual_seed(7);
  // Landscape, portrait, square, and a frame whose SAM size is not a multiple of 4.
  for (const auto& [h, w] : std::vector<std::pair<std::int64_t, std::int64_t>>{{616, 820}, {820, 616}, {300, 300}, {97, 501}}) {
    SamFrame f;
    segmenter_input(torch::zeros({1, 1, h, w}), &f);
    for (std::int64_t n : {1, 3}) {
      const auto logits = torch::randn({n, 1, 256, 256}) * 5.0;
      const auto ref = up(up(logits, 1024, 1024).slice(2, 0, f.height).slice(3, 0, f.width), h, w).squeeze(1);
      const auto m = masks_from_logits(logits, f, h, w);
      CAPTURE(h, w, n);
      REQUIRE(m.sizes() == ref.sizes());
      // Equal but where the reference is within float rounding of the threshold.
      const auto differ = (m != (ref > 0)) & (ref.abs() > 1e-4);
      CHECK(differ.sum().item<std::int64_t>() == 0);
      CHECK((m != (ref > 0)).sum().item<std::int64_t>() <= 2);
    }
  }
}

TEST_CASE("boxes scale into the SAM frame") {
  SamFrame f;
  f.scale = 2.0;
  const auto b = boxes_to_sam(torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({1, 4}), f);
  CHECK(b[0][3].item<float>() == 8.0f);
}

TEST_CASE("compose_labels writes each track's id where its mask is; overlaps go to the larger id") {
  auto masks = torch::zeros({2, 3, 4}, torch::kBool);
  masks[0].slice(1, 0, 2).fill_(true);  // columns 0-1
  masks[1].slice(1, 1, 3).fill_(true);  // columns 1-2
  const auto labels = compose_labels(masks, torch::tensor({4, 9}, torch::kUInt8), 3, 4);
  CHECK(labels.scalar_type() == torch::kUInt8);
  CHECK(labels[0][0].item<int>() == 4);
  CHECK(labels[0][1].item<int>() == 9);  // overlap
  CHECK(labels[2][2].item<int>() == 9);
  CHECK(labels[1][3].item<int>() == 0);
  const auto none = compose_labels(torch::zeros({0, 3, 4}, torch::kBool), torch::zeros({0}, torch::kUInt8), 3, 4);
  CHECK(none.sizes() == torch::IntArrayRef({3, 4}));
  CHECK(none.sum().item<int>() == 0);
}

TEST_CASE("compose_labels_into writes in place, as the pipeline's packed result needs, the same labels") {
  const auto masks = torch::rand({5, 7, 9}) > 0.6;
  const auto ids = torch::tensor({3, 200, 17, 255, 1}, torch::kUInt8);
  // The reference: the widest type, the larger id where masks overlap.
  const auto expected =
      std::get<0>((masks.to(torch::kInt64) * ids.to(torch::kInt64).view({-1, 1, 1})).max(0)).to(torch::kUInt8);
  auto packed = torch::full({10 + 7 * 9}, 77, torch::kUInt8);
  auto labels = packed.slice(0, 10).view({7, 9});
  compose_labels_into(masks, ids, labels);
  CHECK(torch::equal(labels, expected));
  CHECK(torch::equal(packed.slice(0, 0, 10), torch::full({10}, 77, torch::kUInt8)));  // the bytes before untouched
  CHECK(torch::equal(compose_labels(masks, ids, 7, 9), expected));
  compose_labels_into(torch::zeros({0, 7, 9}, torch::kBool), torch::zeros({0}, torch::kUInt8), labels);
  CHECK(labels.sum().item<int>() == 0);
  auto wrong = torch::zeros({7, 8}, torch::kUInt8);
  CHECK_THROWS_AS(compose_labels_into(masks, ids, wrong), std::invalid_argument);
}
