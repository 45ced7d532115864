#include "pipeline/stages/resize.hpp"

#include <vector>

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#include "../support/catch.hpp"

using namespace igtb;

namespace {

torch::Tensor interpolate(const torch::Tensor& x, std::int64_t h, std::int64_t w) {
  namespace F = torch::nn::functional;
  return F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{h, w}).mode(torch::kBilinear).align_corners(false));
}

}  // namespace

TEST_CASE("resize_bilinear is PyTorch's bilinear resize (align_corners false)") {
  // Known values: 1x2 -> 1x4 of [0, 1] is [0, 0.25, 0.75, 1] (half-pixel centres, edges clamped).
  const auto row = resize_bilinear(torch::tensor({0.0f, 1.0f}).view({1, 1, 1, 2}), 1, 4);
  CHECK(row.sizes() == torch::IntArrayRef({1, 1, 1, 4}));
  CHECK(torch::allclose(row.flatten(), torch::tensor({0.0f, 0.25f, 0.75f, 1.0f})));

  torch::manual_seed(3);
  // Grey and RGB, one image and a batch of masks, contiguous and views, up and down.
  const std::vector<torch::Tensor> inputs{torch::rand({1, 1, 61, 82}), torch::rand({1, 3, 61, 82}),
                                          torch::rand({4, 1, 32, 32}), torch::rand({2, 1, 40, 50}).slice(2, 0, 30),
                                          torch::rand({1, 1, 50, 40}).transpose(2, 3)};
  for (const auto& x : inputs)
    for (const auto& [h, w] : std::vector<std::pair<std::int64_t, std::int64_t>>{{128, 128}, {77, 102}, {16, 20}}) {
      const auto got = resize_bilinear(x, h, w);
      CAPTURE(x.sizes(), h, w);
      REQUIRE(got.sizes() == torch::IntArrayRef({x.size(0), x.size(1), h, w}));
      CHECK(torch::allclose(got, interpolate(x, h, w), 1e-5, 1e-6));
    }
  CHECK_THROWS_WITH(resize_bilinear(torch::rand({5, 5}), 2, 2), Catch::Contains("[N, C, H, W]"));
}
