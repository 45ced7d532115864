#include "pipeline/stages/detect.hpp"

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("detections: sigmoid, top-k over queries x classes, their boxes, validity by threshold") {
  // 3 queries, 2 classes.
  auto logits = torch::full({1, 3, 2}, -10.0f);
  logits[0][2][1] = 2.0f;  // query 2, class 1: sigmoid 0.881
  logits[0][0][0] = 0.0f;  // query 0, class 0: 0.5
  auto boxes = torch::zeros({1, 3, 4});
  boxes[0][2] = torch::tensor({0.5f, 0.25f, 0.2f, 0.1f});
  boxes[0][0] = torch::tensor({0.1f, 0.1f, 0.2f, 0.2f});
  DetectConfig c;
  c.top_k = 3;
  c.score_threshold = 0.6;
  const DetectionSet d = postprocess_detections(logits, boxes, c);
  REQUIRE(d.scores.numel() == 3);
  CHECK(d.scores[0].item<float>() == Approx(1 / (1 + std::exp(-2.0))));
  CHECK(d.classes[0].item<std::int64_t>() == 1);
  CHECK(d.classes[1].item<std::int64_t>() == 0);
  // Each candidate keeps its query's box, unchanged (the tracker scales it).
  REQUIRE(d.boxes_norm.sizes() == torch::IntArrayRef({3, 4}));
  CHECK(torch::equal(d.boxes_norm[0], boxes[0][2]));
  CHECK(torch::equal(d.boxes_norm[1], boxes[0][0]));
  CHECK(d.valid[0].item<bool>());
  CHECK_FALSE(d.valid[1].item<bool>());  // 0.5 < 0.6
  CHECK_FALSE(d.valid[2].item<bool>());
}

TEST_CASE("top_k larger than queries x classes keeps them all; malformed outputs are rejected") {
  DetectConfig c;
  c.top_k = 100;
  const DetectionSet d = postprocess_detections(torch::zeros({1, 2, 3}), torch::zeros({1, 2, 4}), c);
  CHECK(d.scores.numel() == 6);
  CHECK_THROWS_AS(postprocess_detections(torch::zeros({1, 2, 3}), torch::zeros({1, 3, 4}), c),
                  std::invalid_argument);
  CHECK_THROWS_AS(postprocess_detections(torch::zeros({2, 3}), torch::zeros({1, 2, 4}), c),
                  std::invalid_argument);
  CHECK_THROWS_AS(postprocess_detections(torch::zeros({1, 0, 3}), torch::zeros({1, 0, 4}), c),
                  std::invalid_argument);  // no queries
  CHECK_THROWS_AS(postprocess_detections(torch::zeros({1, 2, 0}), torch::zeros({1, 2, 4}), c),
                  std::invalid_argument);  // no classes
}
