#include "pipeline/stages/result.hpp"

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("a frame's outputs pack into one byte tensor and unpack on the host unchanged") {
  auto labels = torch::zeros({3, 5}, torch::kUInt8);
  labels[1][2] = 7;
  labels[2][4] = 9;
  const auto boxes = torch::tensor({1.5f, 2.5f, 10.25f, 20.0f, 0.0f, 0.0f, 4.0f, 3.0f}).view({2, 4});
  const auto scores = torch::tensor({0.875f, 0.5f});
  const auto ids = torch::tensor({7, 9}, torch::kUInt8);
  const auto states = torch::tensor({1, 2}, torch::kUInt8);
  const auto packed = pack_result(labels, boxes, scores, ids, states);
  CHECK(packed.dim() == 1);
  CHECK(packed.scalar_type() == torch::kUInt8);
  CHECK(packed.is_contiguous());
  CHECK(packed.numel() == 32 + 2 * 22 + 15);
  const FrameResult r = unpack_result(packed.data_ptr<std::uint8_t>(), std::size_t(packed.numel()));
  CHECK(r.height == 3);
  CHECK(r.width == 5);
  REQUIRE(r.labels.size() == 15);
  CHECK(r.labels[1 * 5 + 2] == 7);
  CHECK(r.labels[2 * 5 + 4] == 9);
  CHECK(r.labels[0] == 0);
  REQUIRE(r.tracks.size() == 2);
  CHECK(r.tracks[0].id == 7);
  CHECK(r.tracks[0].state == 1);
  CHECK(r.tracks[0].score == 0.875f);
  CHECK(r.tracks[0].box[2] == 10.25f);
  CHECK(r.tracks[1].id == 9);
  CHECK(r.tracks[1].state == 2);
  CHECK(r.tracks[1].box[3] == 3.0f);
}

TEST_CASE("no tracks is a valid frame; a truncated buffer is rejected") {
  const auto packed = pack_result(torch::ones({2, 2}, torch::kUInt8), torch::zeros({0, 4}), torch::zeros({0}),
                                  torch::zeros({0}, torch::kUInt8), torch::zeros({0}, torch::kUInt8));
  const FrameResult r = unpack_result(packed.data_ptr<std::uint8_t>(), std::size_t(packed.numel()));
  CHECK(r.tracks.empty());
  CHECK(r.labels == std::vector<std::uint8_t>(4, 1));
  CHECK_THROWS_AS(unpack_result(packed.data_ptr<std::uint8_t>(), std::size_t(packed.numel()) - 1), std::invalid_argument);
  CHECK_THROWS_AS(pack_result(torch::ones({2, 2}, torch::kUInt8), torch::zeros({1, 3}), torch::zeros({1}),
                              torch::zeros({1}, torch::kUInt8), torch::zeros({1}, torch::kUInt8)),
                  std::invalid_argument);
}
