// The upload ring and the graph wrapper where there is no CUDA device: the
// ring is a checked plain copy, graphs refuse a CPU device. (On CUDA:
// test_pipeline_cuda.)
#include "pipeline/cuda/frame_graph.hpp"
#include "pipeline/cuda/stream_fork.hpp"
#include "pipeline/cuda/transfer.hpp"

#include <vector>

#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("upload ring on the CPU: a checked copy into the destination") {
  UploadRing ring(torch::kCPU, 4);
  CHECK(ring.slots() == 4);
  std::vector<std::uint8_t> frame(1000);
  for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = std::uint8_t(i * 31);
  torch::Tensor dst = torch::zeros({10, 100}, torch::kUInt8);
  ring.upload(frame.data(), frame.size(), dst);
  CHECK(std::equal(frame.begin(), frame.end(), dst.data_ptr<std::uint8_t>()));
  CHECK(ring.uploads() == 1);
  CHECK(ring.waits() == 0);
  torch::Tensor small = torch::zeros({999}, torch::kUInt8);
  CHECK_THROWS_WITH(ring.upload(frame.data(), frame.size(), small), Catch::Contains("1000 contiguous bytes"));
  torch::Tensor strided = torch::zeros({100, 20}, torch::kUInt8).slice(1, 0, 10);
  CHECK_THROWS_AS(ring.upload(frame.data(), frame.size(), strided), std::invalid_argument);
  CHECK_THROWS_WITH(UploadRing(torch::kCPU, 0), Catch::Contains("upload slots must be 1..64"));
  CHECK_THROWS_WITH(UploadRing(torch::kCPU, 65), Catch::Contains("upload slots must be 1..64"));
}

TEST_CASE("CUDA graphs need a CUDA device") {
  CHECK_THROWS_WITH(FrameGraph(torch::kCPU), Catch::Contains("need a CUDA device"));
}

TEST_CASE("a stream fork needs a CUDA device") {
  CHECK_THROWS_WITH(StreamFork(torch::kCPU), Catch::Contains("needs a CUDA device"));
}
