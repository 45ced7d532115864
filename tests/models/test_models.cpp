#include "models/detector_model.hpp"
#include "models/segmenter_model.hpp"

#include <torch/cuda.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

// LibTorch's c10 defines its own CHECK; these tests mean Catch's.
#include "../support/catch.hpp"

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

TEST_CASE("an AOTInductor package (.pt2) gets one clear error where it cannot serve") {
  const auto fake = (std::filesystem::temp_directory_path() / "igtb_not_a_package.pt2").string();
  std::ofstream(fake) << "not a zip archive";
  CHECK(Model::is_aoti_spec(fake));
  CHECK_FALSE(Model::is_aoti_spec("detector.pt"));
  CHECK_FALSE(Model::is_aoti_spec(".pt2"));
  if (Model::aoti_available()) {  // LibTorch 2.x: the loader refuses the file
    CHECK_THROWS_WITH(load_detector(fake, torch::kCPU, 32),
                      Catch::Contains(fake) && Catch::Contains("not an AOTInductor package"));
  } else {  // the Debian LibTorch 1.13: no loader, and the error says what to use instead
    CHECK_THROWS_WITH(load_detector(fake, torch::kCPU, 32),
                      Catch::Contains(fake) && Catch::Contains("cannot load them") && Catch::Contains("TorchScript"));
  }
  CHECK_THROWS_WITH(load_detector("/nonexistent/detector.pt2", torch::kCPU), Catch::Contains("not found"));
  std::filesystem::remove(fake);
}

TEST_CASE("the demo models load by name and from files, with the contracts' shapes") {
  const DetectorModel d = load_detector("demo", torch::kCPU);
  CHECK(d.queries == 10);
  CHECK(d.classes == 1);
  const SegmenterModel s = load_segmenter("demo", "demo", torch::kCPU);
  CHECK(s.mask_size == 256);
  const auto dir = std::filesystem::temp_directory_path() / "igtb_models_test";
  const auto paths = save_demo_models(dir.string());
  REQUIRE(paths.size() == 4);
  CHECK(load_detector(paths[0], torch::kCPU).queries == 10);
  CHECK(load_segmenter(paths[1], paths[2], torch::kCPU).mask_size == 256);
  // Not remove_all: in binaries linked with the CUDA LibTorch 2.11 wheel,
  // std::filesystem's directory iteration crashed (SIGSEGV on the H100 host).
  for (const auto& f : paths) std::filesystem::remove(f);
  std::filesystem::remove(dir);
}

TEST_CASE("wrong segmenter files get one clear error naming the file") {
  CHECK_THROWS_WITH(load_segmenter("/nonexistent/enc.pt", "demo", torch::kCPU),
                    Catch::Contains("/nonexistent/enc.pt") && Catch::Contains("encoder model file not found"));
  CHECK_THROWS_WITH(load_segmenter("demo", "/nonexistent/dec.pt", torch::kCPU),
                    Catch::Contains("decoder model file not found"));
  CHECK_THROWS_WITH(load_segmenter("demo", "/tmp", torch::kCPU), Catch::Contains("not a regular file"));

  const auto two = save_module("TupleEncoder", R"(
def forward(self, image: Tensor):
    return image, image
)");
  CHECK_THROWS_WITH(load_segmenter(two, "demo", torch::kCPU, 64), Catch::Contains("encoder forward must return one tensor"));
  std::filesystem::remove(two);

  const auto flat = save_module("FlatDecoder", R"(
def forward(self, embeddings: Tensor, boxes: Tensor):
    n = boxes.size(1)
    return torch.zeros([n, 256, 256]), torch.zeros([n, 1])
)");
  CHECK_THROWS_WITH(load_segmenter("demo", flat, torch::kCPU, 64),
                    Catch::Contains("must return (mask_logits[N, 1, M, M], iou[N, 1])") && Catch::Contains("[1, 256, 256]"));
  std::filesystem::remove(flat);

  const auto crash = save_module("CrashDecoder", R"(
def forward(self, embeddings: Tensor, boxes: Tensor):
    return torch.mm(embeddings, boxes), boxes
)");
  CHECK_THROWS_WITH(load_segmenter("demo", crash, torch::kCPU, 64), Catch::Contains("decoder forward(embeddings[1, 1, 16, 16], one box) failed"));
  std::filesystem::remove(crash);
}

TEST_CASE("one box reaches an AOTInductor decoder as two (packages are compiled for N >= 2)") {
  // Like a package exported with a dynamic box count: torch.export specializes N = 1.
  const auto path = save_module("TwoOrMoreDecoder", R"(
def forward(self, embeddings: Tensor, boxes: Tensor):
    n = boxes.size(1)
    assert n >= 2, "compiled for N >= 2"
    logits = boxes[0, :, 0].reshape([n, 1, 1, 1]).expand([n, 1, 16, 16])
    return logits, boxes[0, :, 1:2]
)");
  CHECK_THROWS_WITH(load_segmenter("demo", path, torch::kCPU, 64), Catch::Contains("compiled for N >= 2"));
  // The loader sets decoder_min_boxes = 2 for a .pt2 file; the same path here on a TorchScript stand-in.
  SegmenterModel s = load_segmenter("demo", "demo", torch::kCPU, 64);
  s.decoder = load_module(path, DemoModel::Decoder, torch::kCPU, torch::kFloat32);
  s.decoder_min_boxes = 2;
  const torch::Tensor emb = s.encode(torch::zeros({1, 3, 64, 64}));
  const auto [logits, iou] = s.decode(emb, torch::tensor({{5.0f, 7.0f, 9.0f, 11.0f}}));
  REQUIRE(logits.sizes() == torch::IntArrayRef({1, 1, 16, 16}));
  REQUIRE(iou.sizes() == torch::IntArrayRef({1, 1}));
  CHECK(logits.min().item<float>() == 5.0f);
  CHECK(logits.max().item<float>() == 5.0f);
  CHECK(iou.item<float>() == 7.0f);
  const auto [three, three_iou] = s.decode(emb, torch::tensor({{1.0f, 2.0f, 3.0f, 4.0f}, {5.0f, 6.0f, 7.0f, 8.0f},
                                                               {9.0f, 10.0f, 11.0f, 12.0f}}));
  CHECK(three.size(0) == 3);
  CHECK(torch::equal(three_iou.flatten(), torch::tensor({2.0f, 6.0f, 10.0f})));
  std::filesystem::remove(path);
}

TEST_CASE("a fp32 TorchScript file turned to a lower precision at load is flagged, the demo models are not") {
  const auto dir = std::filesystem::temp_directory_path() / "igtb_models_converted";
  const auto paths = save_demo_models(dir.string());
  REQUIRE(paths.size() == 4);
  CHECK(load_module(paths[1], DemoModel::Encoder, torch::kCPU, torch::kHalf).converted());
  CHECK(load_module(paths[1], DemoModel::Encoder, torch::kCPU, torch::kBFloat16).converted());
  CHECK_FALSE(load_module(paths[1], DemoModel::Encoder, torch::kCPU, torch::kFloat32).converted());
  CHECK_FALSE(load_module(kDemoModelSpec, DemoModel::Encoder, torch::kCPU, torch::kHalf).converted());
  // A file saved in fp16 is what it says.
  torch::jit::Module half = torch::jit::load(paths[1], torch::kCPU);
  half.to(torch::kHalf);
  const auto half_path = (dir / "encoder_fp16.pt").string();
  half.save(half_path);
  CHECK_FALSE(load_module(half_path, DemoModel::Encoder, torch::kCPU, torch::kHalf).converted());
  for (const auto& f : paths) std::filesystem::remove(f);
  std::filesystem::remove(half_path);
  std::filesystem::remove(dir);
}

TEST_CASE("a lower precision at load converts floating-point weights only, as PyTorch's Module.to does") {
  // LibTorch's jit::Module::to(kHalf) turns int64 buffers into fp16 too: the
  // MobileSAM decoder's fixed-point Fourier matrix (values near 2^30) became
  // inf and every mask came out empty.
  const auto big = static_cast<int64_t>(1) << 30;
  torch::jit::Module inner("inner");
  inner.register_buffer("fixed", torch::tensor({big + 1, -big - 3}, torch::kLong));
  inner.register_buffer("scale", torch::full({2}, 0.1, torch::kFloat32));
  torch::jit::Module outer("outer");
  outer.register_parameter("weight", torch::full({3}, 1.0 / 3.0, torch::kFloat32), false);
  outer.register_buffer("mask", torch::tensor({true, false}));
  outer.register_module("inner", inner);
  for (const auto dtype : {torch::kHalf, torch::kBFloat16}) {
    torch::jit::Module m = outer.clone();
    to_floating_dtype(m, dtype);
    const auto sub = m.attr("inner").toModule();
    CHECK(sub.attr("fixed").toTensor().scalar_type() == torch::kLong);
    CHECK(sub.attr("fixed").toTensor()[0].item<int64_t>() == big + 1);
    CHECK(sub.attr("fixed").toTensor()[1].item<int64_t>() == -big - 3);
    CHECK(m.attr("mask").toTensor().scalar_type() == torch::kBool);
    CHECK(sub.attr("scale").toTensor().scalar_type() == dtype);
    CHECK(m.attr("weight").toTensor().scalar_type() == dtype);
    CHECK(m.attr("weight").toTensor()[0].item<float>() == Approx(1.0 / 3.0).epsilon(0.01));
  }
  // And through the loader, from a file.
  const auto dir = std::filesystem::temp_directory_path() / ("igtb_models_floating_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "fixed.pt").string();
  outer.define("def forward(self, x):\n  return self.inner.fixed, self.weight + x\n");
  outer.save(path);
  const Model loaded = load_module(path, DemoModel::Decoder, torch::kCPU, torch::kHalf);
  CHECK(loaded.converted());
  const auto out = loaded.forward({torch::zeros({3}, torch::kHalf)});
  REQUIRE(out.size() == 2);
  CHECK(out[0].scalar_type() == torch::kLong);
  CHECK(out[0][0].item<int64_t>() == big + 1);
  CHECK(out[1].scalar_type() == torch::kHalf);
  std::filesystem::remove(path);
  std::filesystem::remove(dir);
}

TEST_CASE("devices and precisions are checked") {
  CHECK(model_device("cpu").is_cpu());
  CHECK_THROWS_WITH(model_device("gpu"), Catch::Contains("not cpu, cuda or cuda:N"));
  if (!torch::cuda::is_available()) CHECK_THROWS_WITH(model_device("cuda"), Catch::Contains("no CUDA device"));
  CHECK(precision_dtype("fp16") == torch::kFloat16);
  CHECK_THROWS_AS(precision_dtype("int8"), std::invalid_argument);
}
