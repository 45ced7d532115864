// The segment shape's device stages: the network's input, and its scores
// turned into a class map and a foreground probability at the input's size.
#include "pipeline/stages/semantic.hpp"

#include <stdexcept>

#include "../support/catch.hpp"

using namespace igtb;

namespace {

torch::Tensor grey(std::int64_t h, std::int64_t w, int value) {
  return torch::full({h, w, 1}, value, torch::kUInt8);
}

}  // namespace

TEST_CASE("the option names parse, and a wrong one says which are right") {
  CHECK(parse_normalization("none") == Normalization::None);
  CHECK(parse_normalization("unit") == Normalization::Unit);
  CHECK(parse_normalization("standardize") == Normalization::Standardize);
  CHECK(std::string(normalization_name(Normalization::Standardize)) == "standardize");
  CHECK_THROWS_WITH(parse_normalization("zscore"), Catch::Contains("none, unit or standardize"));
  CHECK(parse_score_kind("probabilities") == ScoreKind::Probabilities);
  CHECK_THROWS_WITH(parse_score_kind("softmax"), Catch::Contains("logits or probabilities"));
  CHECK(parse_decision("threshold") == Decision::Threshold);
  CHECK_THROWS_WITH(parse_decision("max"), Catch::Contains("argmax or threshold"));
}

TEST_CASE("semantic_input: values as they are (aigt), 0..1, or standardised; resized to the square; channels") {
  const torch::Tensor raw = semantic_input(grey(30, 40, 100), 16, 1, Normalization::None);
  CHECK(raw.sizes() == torch::IntArrayRef({1, 1, 16, 16}));
  CHECK(raw.scalar_type() == torch::kFloat32);
  CHECK(raw.min().item<float>() == 100.0f);
  CHECK(raw.max().item<float>() == 100.0f);

  const torch::Tensor unit = semantic_input(grey(30, 40, 102), 8, 3, Normalization::Unit);
  CHECK(unit.sizes() == torch::IntArrayRef({1, 3, 8, 8}));
  CHECK(unit.max().item<float>() == Approx(0.4));
  CHECK(unit.min().item<float>() == Approx(0.4));

  // A ramp: zero mean and unit deviation over the frame, before the resize
  // (same size here, so exactly).
  const torch::Tensor ramp = torch::arange(0, 64, torch::kInt16).view({8, 8, 1});
  const torch::Tensor z = semantic_input(ramp, 8, 1, Normalization::Standardize);
  CHECK(z.mean().item<double>() == Approx(0.0).margin(1e-5));
  CHECK(z.std(false).item<double>() == Approx(1.0).epsilon(1e-4));
  CHECK(z[0][0][0][1].item<float>() > z[0][0][0][0].item<float>());
  // A flat frame stays finite (zero).
  CHECK(semantic_input(grey(4, 4, 9), 4, 1, Normalization::Standardize).abs().max().item<float>() == 0.0f);

  // Colour: kept for a 3-channel model, its mean for a grey one; alpha dropped.
  torch::Tensor rgba = torch::zeros({4, 4, 4}, torch::kUInt8);
  rgba.select(2, 0).fill_(30);
  rgba.select(2, 1).fill_(60);
  rgba.select(2, 2).fill_(90);
  rgba.select(2, 3).fill_(255);
  const torch::Tensor colour = semantic_input(rgba, 4, 3, Normalization::None);
  CHECK(colour[0][0][0][0].item<float>() == 30.0f);
  CHECK(colour[0][2][3][3].item<float>() == 90.0f);
  const torch::Tensor mean = semantic_input(rgba, 4, 1, Normalization::None);
  CHECK(mean.max().item<float>() == Approx(60.0));
  CHECK(semantic_input(rgba, 4, 5, Normalization::None).sizes() == torch::IntArrayRef({1, 5, 4, 4}));
  CHECK_THROWS_AS(semantic_input(torch::zeros({4, 4, 2}, torch::kUInt8), 4, 1, Normalization::None),
                  std::invalid_argument);
}

TEST_CASE("semantic_maps: argmax of the classes, the foreground probability, at the input's size") {
  // Three classes on a 4x4 square: background left, class 1 top right, class 2 bottom right.
  torch::Tensor logits = torch::zeros({1, 3, 4, 4});
  logits[0][0].slice(1, 0, 2).fill_(5.0f);
  logits[0][1].slice(0, 0, 2).slice(1, 2, 4).fill_(5.0f);
  logits[0][2].slice(0, 2, 4).slice(1, 2, 4).fill_(5.0f);
  const torch::Tensor maps = semantic_maps(logits, 4, 4, {}).select(1, 0);
  REQUIRE(semantic_maps(logits, 4, 4, {}).sizes() == torch::IntArrayRef({2, 1, 4, 4}));
  CHECK(maps.scalar_type() == torch::kUInt8);
  CHECK(maps[0][0][0].item<int>() == 0);
  CHECK(maps[0][0][3].item<int>() == 1);
  CHECK(maps[0][3][3].item<int>() == 2);
  // p(background) = e^5 / (e^5 + 2) where it wins: foreground 255 * 2 / (e^5 + 2).
  const double e5 = std::exp(5.0);
  CHECK(maps[1][0][0].item<int>() == int(std::lround(255.0 * 2.0 / (e5 + 2.0))));
  CHECK(maps[1][3][3].item<int>() == int(std::lround(255.0 * (1.0 - 1.0 / (e5 + 2.0)))));

  // Up to the input's size: bilinear probabilities, then the decision.
  const torch::Tensor big = semantic_maps(logits, 40, 80, {}).select(1, 0);
  CHECK(big.sizes() == torch::IntArrayRef({2, 40, 80}));
  CHECK(big[0][5][5].item<int>() == 0);
  CHECK(big[0][5][75].item<int>() == 1);
  CHECK(big[0][35][75].item<int>() == 2);

  // Threshold decision: foreground where 1 - p(background) >= 0.9, then the
  // best foreground class; a pixel where background is only just the best
  // becomes foreground at a low threshold.
  torch::Tensor close = torch::zeros({1, 3, 2, 2});
  close[0][0].fill_(1.0f);  // p = e / (e + 2) = 0.58 background, 0.21 each class
  close[0][2].fill_(0.1f);
  SemanticMapsOptions t;
  t.decision = Decision::Threshold;
  t.threshold = 0.4;
  CHECK(semantic_maps(close, 2, 2, {})[0].max().item<int>() == 0);  // argmax: background
  CHECK(semantic_maps(close, 2, 2, t)[0].min().item<int>() == 2);   // threshold 0.4: class 2
  t.threshold = 0.9;
  CHECK(semantic_maps(close, 2, 2, t)[0].max().item<int>() == 0);
}

TEST_CASE("a volume: its slices go in as one batch, each normalised on its own, and come back as planes") {
  // Two slices: a flat 50 and a ramp.
  torch::Tensor vol = torch::zeros({2, 8, 8, 1}, torch::kUInt8);
  vol[0].fill_(50);
  vol[1].copy_(torch::arange(0, 64, torch::kUInt8).view({8, 8, 1}));
  const torch::Tensor in = semantic_input(vol, 8, 2, Normalization::Standardize);
  REQUIRE(in.sizes() == torch::IntArrayRef({2, 2, 8, 8}));
  CHECK(in[0].abs().max().item<float>() == 0.0f);  // flat slice: zero, not the volume's mean
  CHECK(in[1].mean().item<double>() == Approx(0.0).margin(1e-5));
  CHECK(semantic_input(vol, 4, 1, Normalization::Unit)[0].max().item<float>() == Approx(50.0 / 255.0));
  // Scores per slice -> two planes of two slices each.
  torch::Tensor scores = torch::zeros({2, 2, 4, 4});
  scores[0][1].fill_(3.0f);   // slice 0: all class 1
  scores[1][0].fill_(3.0f);   // slice 1: all background
  const torch::Tensor maps = semantic_maps(scores, 6, 5, {});
  REQUIRE(maps.sizes() == torch::IntArrayRef({2, 2, 6, 5}));
  CHECK(maps[0][0].min().item<int>() == 1);
  CHECK(maps[0][1].max().item<int>() == 0);
  CHECK(maps[1][0].min().item<int>() > 240);
}

TEST_CASE("semantic_maps: a binary model is thresholded; probabilities are taken as they are") {
  torch::Tensor one = torch::full({1, 1, 2, 2}, -3.0f);
  one[0][0][1][1] = 3.0f;
  const torch::Tensor m = semantic_maps(one, 2, 2, {}).select(1, 0);
  CHECK(m[0].sum().item<int>() == 1);
  CHECK(m[0][1][1].item<int>() == 1);
  CHECK(m[1][1][1].item<int>() == int(std::lround(255.0 / (1.0 + std::exp(-3.0)))));

  SemanticMapsOptions probs;
  probs.scores = ScoreKind::Probabilities;
  probs.threshold = 0.7;
  torch::Tensor p = torch::tensor({0.2f, 0.69f, 0.71f, 1.0f}).view({1, 1, 2, 2});
  const torch::Tensor mp = semantic_maps(p, 2, 2, probs).select(1, 0);
  CHECK(mp[0].flatten()[1].item<int>() == 0);
  CHECK(mp[0].flatten()[2].item<int>() == 1);
  CHECK(mp[1].flatten()[3].item<int>() == 255);
  CHECK(mp[1].flatten()[0].item<int>() == 51);
  CHECK_THROWS_AS(semantic_maps(torch::zeros({2, 4, 4}), 4, 4, {}), std::invalid_argument);
}
