// Semantic segmentation models (aigt's kind): settings from the model's
// config.json or the YAML, the probe, and one clear error for each way a
// file does not fit.
#include "models/semantic_model.hpp"

#include <cstdio>
#include <filesystem>

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#include "../support/catch.hpp"

using namespace igtb;

namespace {

/// Two classes, background and foreground, at the input's size.
constexpr const char* kTwoClasses = R"(
def forward(self, image: Tensor) -> Tensor:
    grey = image[:, :1]
    return torch.cat([grey * 0.0 - 1.0, grey + 1.0], 1)
)";

/// A TorchScript file made in C++ (no Python), with extra files as aigt's train.py writes them.
std::string save_model(const std::string& name, const std::string& source,
                       const torch::jit::ExtraFilesMap& extra = {}) {
  torch::jit::Module m("__torch__." + name);
  m.define(source);
  const auto path = (std::filesystem::temp_directory_path() / ("igtb_" + name + ".pt")).string();
  m.save(path, extra);
  return path;
}

std::string error_of(const std::string& path, SemanticSettings yaml = {}) {
  try {
    load_semantic_model(path, torch::kCPU, torch::kFloat32, yaml);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("aigt's config.json gives S and C; the YAML may repeat them, not contradict them") {
  const auto path =
      save_model("AigtUnet", kTwoClasses, {{"config.json", R"({"shape": [1, 1, 64, 64], "use_tracking_layer": false})"}});
  const EmbeddedSettings e = read_embedded_settings(path);
  CHECK(e.present);
  CHECK(e.input_size == 64);
  CHECK(e.in_channels == 1);

  const SemanticModel m = load_semantic_model(path, torch::kCPU, torch::kFloat32, {});
  CHECK(m.input_size == 64);
  CHECK(m.in_channels == 1);
  CHECK(m.classes == 2);
  CHECK(m.settings_from == "config.json");
  const torch::Tensor out = m.run(torch::ones({1, 1, 64, 64}));
  CHECK(out.sizes() == torch::IntArrayRef({1, 2, 64, 64}));
  CHECK(out[0][1][5][7].item<float>() == 2.0f);

  CHECK(load_semantic_model(path, torch::kCPU, torch::kFloat32, {64, 1}).settings_from == "config.json and the YAML");
  const std::string why = error_of(path, {128, 0});
  CHECK(why.find(path) == 0);
  CHECK(why.find("models.input_size is 128 but the model's config.json says 64") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("a model without config.json takes S and C from the YAML, and says which key is missing") {
  const auto path = save_model("PlainUnet", kTwoClasses);
  CHECK_FALSE(read_embedded_settings(path).present);
  const SemanticModel m = load_semantic_model(path, torch::kCPU, torch::kFloat32, {48, 3});
  CHECK(m.input_size == 48);
  CHECK(m.in_channels == 3);
  CHECK(m.classes == 2);
  CHECK(m.settings_from == "the YAML");
  CHECK(error_of(path) == path + ": no input size S: the model has no config.json \"shape\" and models.input_size is not set");
  CHECK(error_of(path, {48, 0}).find("models.in_channels is not set") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("a model that does not fit the contract is one error naming the file") {
  const auto wrong_size = save_model("HalfSize", R"(
def forward(self, image: Tensor) -> Tensor:
    return image[:, :, ::2, ::2]
)",
                                     {{"config.json", R"({"shape": [1, 1, 32, 32]})"}});
  CHECK(error_of(wrong_size).find(wrong_size + ": forward(image[1, C, S, S]) must return [1, K, S, S] (K classes), got "
                                               "[1, 1, 16, 16] for S = 32") == 0);
  const auto three_channels = save_model("WantsRgb", R"(
def forward(self, image: Tensor) -> Tensor:
    return torch.conv2d(image, torch.ones([2, 3, 1, 1]))
)");
  const std::string why = error_of(three_channels, {32, 1});
  CHECK(why.find(three_channels + ": the probe with a zero image [1, 1, 32, 32] failed: ") == 0);
  CHECK(error_of("/nonexistent/unet.pt", {32, 1}) == "/nonexistent/unet.pt: segmentation model file not found");
  std::remove(wrong_size.c_str());
  std::remove(three_channels.c_str());
}

TEST_CASE("config.json: what aigt writes is read, anything else is named") {
  const auto read = [](const std::string& json) { return parse_embedded_settings(json, "m.pt"); };
  CHECK(read(R"({"shape": [1, 5, 128, 128], "use_tracking": true})").in_channels == 5);
  CHECK(read(R"({"shape": [1, 5, 128, 128]})").input_size == 128);
  CHECK(read(R"({"something_else": 1})").input_size == 0);  // says nothing about S and C: the YAML must
  CHECK_THROWS_WITH(read("{\"shape\": [1, 1, 64"), Catch::Contains("m.pt: config.json is not JSON"));
  CHECK_THROWS_WITH(read("[1, 2]"), Catch::Contains("m.pt: config.json is not a JSON object"));
  CHECK_THROWS_WITH(read(R"({"shape": [1, 1, 64]})"), Catch::Contains("key \"shape\" is not a list of 4 numbers"));
  CHECK_THROWS_WITH(read(R"({"shape": [1, 1, 64, "a"]})"), Catch::Contains("key \"shape\" is not a list of 4 numbers"));
  CHECK_THROWS_WITH(read(R"({"shape": [1, 1, 64, 32]})"), Catch::Contains("[1, 1, 64, 32] is not [1, C, S, S]"));
  CHECK_THROWS_AS(read(R"({"shape": [1, 0, 64, 64]})"), ModelError);
  CHECK(read(R"({"shape": [1, 5, 128, 128], "use_tracking": true})").tracking_layer);
  CHECK(read(R"({"shape": [1, 1, 128, 128], "use_tracking_layer": true})").tracking_layer);
  CHECK_FALSE(read(R"({"shape": [1, 1, 128, 128], "use_tracking_layer": false})").tracking_layer);
  CHECK_THROWS_WITH(read(R"({"use_tracking_layer": "maybe"})"), Catch::Contains("\"use_tracking_layer\" is not true or false"));
  CHECK(read(R"({"class_names": ["bone", "vessel"]})").class_names == std::vector<std::string>{"bone", "vessel"});
  CHECK_THROWS_WITH(read(R"({"class_names": "bone"})"), Catch::Contains("\"class_names\" is not a list of names"));
}

TEST_CASE("class names from config.json or the YAML, one per foreground class; a tracking-layer model is refused") {
  const auto named = save_model("AigtNamed", kTwoClasses,
                                {{"config.json", R"({"shape": [1, 1, 32, 32], "class_names": ["bone"]})"}});
  CHECK(load_semantic_model(named, torch::kCPU, torch::kFloat32, {}).class_names == std::vector<std::string>{"bone"});
  SemanticSettings yaml;
  yaml.class_names = {"bone"};
  CHECK(load_semantic_model(named, torch::kCPU, torch::kFloat32, yaml).class_names.size() == 1);
  yaml.class_names = {"spine"};
  CHECK_THAT(error_of(named, yaml), Catch::Contains("models.class_names differs from the model's config.json"));
  const auto plain = save_model("AigtPlain32", kTwoClasses, {{"config.json", R"({"shape": [1, 1, 32, 32]})"}});
  yaml.class_names = {"bone", "vessel"};
  CHECK_THAT(error_of(plain, yaml),
             Catch::Contains("2 class names (models.class_names) for 1 foreground class (the model returns 2 channels"));
  const auto tracking = save_model(
      "AigtTracking", kTwoClasses, {{"config.json", R"({"shape": [1, 1, 32, 32], "use_tracking_layer": true})"}});
  CHECK_THAT(error_of(tracking), Catch::Contains("trained with aigt's tracking layer"));
}
