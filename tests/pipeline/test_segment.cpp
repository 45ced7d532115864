#include "pipeline/stages/segment.hpp"

#include <random>
#include <utility>
#include <vector>

#include "pipeline/stages/mask_taps.hpp"
#include "../support/sam_labels.hpp"

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#include "../support/catch.hpp"

using namespace igtb;

namespace {

torch::Tensor labels_of(const torch::Tensor& logits, const SamFrame& f, const torch::Tensor& ids, std::int64_t h,
                        std::int64_t w) {
  auto labels = torch::full({h, w}, 99, torch::kUInt8);  // every byte must be written
  labels_from_logits_into(logits, f, ids, labels);
  return labels;
}

}  // namespace

TEST_CASE("mask logits come back to input pixels: up to 1024, un-padded, down to H x W, above 0 is the id") {
  // An 820x616 frame: in the SAM square it is 1024 wide, 769 high (scale 1024/820).
  SamFrame f;
  segmenter_input(torch::zeros({1, 3, 616, 820}), &f);
  // Logit +10 on the 256-grid cells [64, 128) x [64, 128), i.e. SAM pixels [256, 512).
  auto logits = torch::full({1, 1, 256, 256}, -10.0f);
  logits.slice(2, 64, 128).slice(3, 64, 128).fill_(10.0f);
  const auto m = labels_of(logits, f, torch::tensor({5}, torch::kUInt8), 616, 820);
  CHECK(m.sizes() == torch::IntArrayRef({616, 820}));
  // SAM [256, 512) / 1.2488 = input [205, 410): inside set, outside not.
  CHECK(m[300][300].item<int>() == 5);
  CHECK(m[210][400].item<int>() == 5);
  CHECK(m[195][300].item<int>() == 0);
  CHECK(m[300][420].item<int>() == 0);
  CHECK(m[600][800].item<int>() == 0);
  const double side = 256.0 / f.scale;
  CHECK((m == 5).sum().item<double>() == Approx(side * side).epsilon(0.03));
  CHECK((m != 5).logical_and(m != 0).sum().item<int>() == 0);
}

TEST_CASE("mask taps: each output pixel mixes at most 4 x 4 logits with weights summing to 1") {
  for (const auto& [out, part, side] : std::vector<std::tuple<int, int, int>>{{616, 769, 256}, {820, 1024, 256}, {97, 1024, 256}, {501, 1024, 256}, {3, 2, 1}}) {
    for (int i = 0; i < out; ++i) {
      const masks::Taps t = masks::taps(i, out, part, 1024, side);
      float sum = 0;
      for (int k = 0; k < 4; ++k) {
        CAPTURE(out, part, side, i, k);
        REQUIRE(t.index[k] >= 0);
        REQUIRE(t.index[k] < side);
        CHECK(t.weight[k] >= 0.0f);
        sum += t.weight[k];
      }
      CHECK(sum == Approx(1.0f).margin(1e-6));
    }
  }
}

TEST_CASE("labels_from_logits_into gives SAM's postprocess_masks, thresholded and composed, but at rounding") {
  torch::manual_seed(7);
  std::int64_t compared = 0, near_zero = 0;
  // Landscape, portrait, square, a frame whose SAM size is not a multiple of 4, and one larger than the square.
  for (const auto& [h, w] : std::vector<std::pair<std::int64_t, std::int64_t>>{{616, 820}, {820, 616}, {300, 300}, {97, 501}, {1100, 1300}}) {
    SamFrame f;
    segmenter_input(torch::zeros({1, 1, h, w}), &f);
    for (std::int64_t n : {1, 3, 10}) {
      const auto logits = torch::randn({n, 1, 256, 256}) * 5.0;
      // ids with an empty slot (0) and a repeated id, in no order.
      const auto ids = torch::randint(0, 256, {n}, torch::kInt64).to(torch::kUInt8);
      if (n == 10) ids[4] = 0, ids[7] = ids[2];
      const auto values = test::sam_mask_values(logits, f, h, w);  // [n, h, w] float
      const auto want = test::compose(values > 0, ids);
      const auto got = labels_of(logits, f, ids, h, w);
      CAPTURE(h, w, n);
      REQUIRE(got.sizes() == want.sizes());
      // Where they differ, some mask's value is within float rounding of the threshold.
      const auto differ = got != want;
      const auto close = (values.abs() < 1e-4).any(0);
      CHECK((differ & ~close).sum().item<std::int64_t>() == 0);
      near_zero += differ.sum().item<std::int64_t>();
      compared += h * w;
    }
  }
  CHECK(near_zero <= 100);  // of 7.7 million pixels (23 when written)
  CHECK(compared > 7000000);
}

TEST_CASE("labels_from_logits_into: overlaps go to the larger id, empty slots and no masks write 0, in place") {
  SamFrame f;
  segmenter_input(torch::zeros({1, 1, 7, 9}), &f);
  auto logits = torch::full({3, 1, 256, 256}, -5.0f);
  logits[0].slice(2, 0, 150).fill_(5.0f);   // left part: id 4
  logits[1].slice(2, 100, 256).fill_(5.0f);  // right part: id 9, overlapping
  logits[2].fill_(5.0f);                     // everywhere, but an empty slot
  auto packed = torch::full({10 + 7 * 9}, 77, torch::kUInt8);
  auto labels = packed.slice(0, 10).view({7, 9});
  labels_from_logits_into(logits, f, torch::tensor({4, 9, 0}, torch::kUInt8), labels);
  CHECK(labels[3][0].item<int>() == 4);
  CHECK(labels[3][4].item<int>() == 9);  // the overlap (mask 0 reaches x = 0..4, mask 1 x = 4..8)
  CHECK(labels[3][5].item<int>() == 9);
  CHECK(labels[3][8].item<int>() == 9);
  CHECK(torch::equal(packed.slice(0, 0, 10), torch::full({10}, 77, torch::kUInt8)));  // the bytes before untouched
  // half logits: the same labels as their float values
  auto again = torch::zeros({7, 9}, torch::kUInt8);
  labels_from_logits_into(logits.to(torch::kHalf), f, torch::tensor({4, 9, 0}, torch::kUInt8), again);
  CHECK(torch::equal(again, labels));
  labels_from_logits_into(torch::zeros({0, 1, 256, 256}), f, torch::zeros({0}, torch::kUInt8), labels);
  CHECK(labels.sum().item<int>() == 0);
  auto wide = torch::zeros({7, 9}, torch::kInt32);
  CHECK_THROWS_AS(labels_from_logits_into(logits, f, torch::tensor({4, 9, 0}, torch::kUInt8), wide), std::invalid_argument);
  CHECK_THROWS_AS(labels_from_logits_into(logits, f, torch::tensor({4, 9}, torch::kUInt8), labels), std::invalid_argument);
  CHECK_THROWS_AS(labels_from_logits_into(logits.to(torch::kInt32), f, torch::tensor({4, 9, 0}, torch::kUInt8), labels),
                  std::invalid_argument);
  CHECK_THROWS_AS(labels_from_logits_into(torch::zeros({3, 1, 0, 0}), f, torch::tensor({4, 9, 0}, torch::kUInt8), labels),
                  std::invalid_argument);
}

TEST_CASE("boxes scale into the SAM frame") {
  SamFrame f;
  f.scale = 2.0;
  const auto b = boxes_to_sam(torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({1, 4}), f);
  CHECK(b[0][3].item<float>() == 8.0f);
}
