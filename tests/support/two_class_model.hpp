// A semantic segmentation network for the segment shape's tests, made in C++
// (no Python), saved as aigt's train.py saves one (TorchScript with a
// config.json): image[1, 1, S, S] raw 0..255 -> logits[1, 3, S, S]
// (background, class 1, class 2), for synthetic_scene.hpp's
// two_class_scene(). Class 2: the 5x5-smoothed image above 142 (between the
// speckle's ~45 and 240); class 1: above 82 (between 45 and 120) and not
// within 4 pixels of class 2 (the ramp around a class-2 object is no object).
#pragma once

#include <torch/script.h>

#include <filesystem>
#include <string>

namespace igtb::test {

inline constexpr const char* kTwoClassSource = R"(
def forward(self, image: Tensor) -> Tensor:
    x = image[:, :1].float()
    k = torch.ones([1, 1, 5, 5], device=x.device) / 25.0
    g = torch.conv2d(x, k, None, [1, 1], [2, 2])
    c2 = (g >= 142.0).float()
    near2 = torch.max_pool2d(c2, [9, 9], [1, 1], [4, 4])
    c1 = (g >= 82.0).float() * (1.0 - near2)
    bg = 1.0 - torch.max(c1, c2)
    return (torch.cat([bg, c1, c2], 1) * 10.0).to(image.dtype)
)";

/// Saves the model with config.json {"shape": [1, 1, size, size]} (or none
/// where size is 0) under the temporary folder; returns the path.
inline std::string save_two_class_model(const std::string& name, std::int64_t size) {
  torch::jit::Module m("__torch__.igtbtest.TwoClass");
  m.define(kTwoClassSource);
  torch::jit::ExtraFilesMap extra;
  if (size > 0)
    extra["config.json"] = "{\"shape\": [1, 1, " + std::to_string(size) + ", " + std::to_string(size) +
                           "], \"use_tracking_layer\": false}";
  const auto path = (std::filesystem::temp_directory_path() / ("igtb_" + name + ".pt")).string();
  m.save(path, extra);
  return path;
}

}  // namespace igtb::test
