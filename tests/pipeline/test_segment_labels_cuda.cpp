// The label map kernel (segment_cuda.cu) against the host's way through the
// same arithmetic (mask_taps.hpp): the same bytes for float and half logits,
// several frame shapes and mask counts, empty slots and repeated ids. Label
// `gpu`; exits 77 (skipped) without CUDA.
#include "pipeline/stages/segment.hpp"

#include <torch/cuda.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "../support/sam_labels.hpp"

#undef CHECK
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

using namespace igtb;

TEST_CASE("CUDA label map: the host's bytes, float and half logits") {
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(3);
  std::int64_t pixels = 0, covered = 0;
  for (const auto& [h, w] : std::vector<std::pair<std::int64_t, std::int64_t>>{{616, 820}, {820, 616}, {97, 501}, {1100, 1300}}) {
    SamFrame f;
    segmenter_input(torch::zeros({1, 1, h, w}), &f);
    for (std::int64_t n : {1, 10, 64}) {
      for (const auto dtype : {torch::kFloat32, torch::kHalf}) {
        const auto logits = (torch::randn({n, 1, 256, 256}) * 5.0).to(dtype);
        const auto ids = torch::randint(0, 256, {n}, torch::kInt64).to(torch::kUInt8);
        if (n > 1) ids[0] = 0;  // an empty slot
        auto host = torch::zeros({h, w}, torch::kUInt8);
        labels_from_logits_into(logits, f, ids, host);
        auto packed = torch::full({5 + h * w}, 77, torch::dtype(torch::kUInt8).device(cuda));
        auto device = packed.slice(0, 5).view({h, w});
        labels_from_logits_into(logits.to(cuda), f, ids.to(cuda), device);
        const auto back = packed.to(torch::kCPU);
        CAPTURE(h, w, n, dtype);
        CHECK(torch::equal(back.slice(0, 5).view({h, w}), host));
        CHECK(torch::equal(back.slice(0, 0, 5), torch::full({5}, 77, torch::kUInt8)));
        // and both are SAM's composition but for rounding at the threshold
        const auto values = test::sam_mask_values(logits, f, h, w);
        const auto differ = (host != test::compose(values > 0, ids)) & ~(values.abs() < 1e-3).any(0);
        CHECK(differ.sum().item<std::int64_t>() == 0);
        pixels += h * w;
        covered += (host != 0).sum().item<std::int64_t>();
      }
    }
  }
  CHECK(covered > pixels / 4);  // the masks cover something
}

int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::printf("skipped: no CUDA device (this LibTorch build or machine)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
