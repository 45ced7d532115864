#include "models/detector_model.hpp"

#include <filesystem>
#include <fstream>

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#undef CHECK
#include <catch2/catch.hpp>

using namespace igtb;

namespace {

/// A TorchScript module compiled from source in C++ and saved: no Python needed.
std::string save_module(const std::string& name, const std::string& source) {
  torch::jit::Module m("__torch__." + name);
  m.define(source);
  const auto path = (std::filesystem::temp_directory_path() / (name + ".pt")).string();
  m.save(path);
  return path;
}

}  // namespace

TEST_CASE("a detector with the D-FINE contract loads and reports Q and C") {
  const auto path = save_module("GoodDetector", R"(
def forward(self, images: Tensor):
    b = images.size(0)
    logits = torch.zeros([b, 7, 2]) + images.mean()
    boxes = torch.zeros([b, 7, 4]) + 0.5
    return logits, boxes
)");
  const DetectorModel m = load_detector(path, torch::kCPU, 64);
  CHECK(m.queries == 7);
  CHECK(m.classes == 2);
  std::filesystem::remove(path);
}

TEST_CASE("wrong model files get one clear error naming the file") {
  CHECK_THROWS_WITH(load_detector("/nonexistent/model.pt", torch::kCPU), Catch::Contains("/nonexistent/model.pt") &&
                                                                             Catch::Contains("not found"));
  const auto text = (std::filesystem::temp_directory_path() / "not_a_model.pt").string();
  std::ofstream(text) << "hello";
  CHECK_THROWS_WITH(load_detector(text, torch::kCPU), Catch::Contains("not a TorchScript module"));
  std::filesystem::remove(text);

  const auto single = save_module("OneOutput", R"(
def forward(self, images: Tensor):
    return images
)");
  CHECK_THROWS_WITH(load_detector(single, torch::kCPU, 32), Catch::Contains("must return (logits[1, Q, C], boxes[1, Q, 4])"));
  std::filesystem::remove(single);

  const auto bad_boxes = save_module("BadBoxes", R"(
def forward(self, images: Tensor):
    return torch.zeros([1, 5, 3]), torch.zeros([1, 5, 2])
)");
  CHECK_THROWS_WITH(load_detector(bad_boxes, torch::kCPU, 32), Catch::Contains("boxes[1, 5, 2]"));
  std::filesystem::remove(bad_boxes);
}
