// The demo models that ship instead of weights: TorchScript modules compiled
// from source in C++ (no Python, nothing downloaded) with exactly the
// contracts of the real D-FINE detector and MobileSAM segmenter, doing
// something visible on ultrasound:
//  - detector: bright echoes. The image is averaged into 8x8-pixel cells,
//    cells above an adaptive threshold (mean + 1.5 std, at least 0.35) are
//    grouped into 8-connected components by max-label propagation, and the
//    largest components become the queries: box = the component's cells,
//    logit from its mean brightness; queries with no component get -20.
//  - segmenter encoder: the grey image, 4x4 averaged to [1, 1, 256, 256].
//  - segmenter decoder: per box, the pixels brighter than the middle of the
//    box's darkest and brightest (smoothed) values, inside the box grown by
//    15 % + 2 cells; logits in MobileSAM's convention (mask = logit > 0).
//  - segmentation (pipeline.kind: segment; aigt's contract, with a
//    config.json saying its input [1, 1, 256, 256], raw 0..255 values): the
//    bone surface by the classic ultrasound cue, a bright reflection with an
//    acoustic shadow below it. Hand-set filters, not a trained network: a
//    blur (mostly sideways), a pixel is a candidate where it is bright (above
//    ~0.35 of full scale) and the mean of the rows 6..28 below it (inside
//    the imaged area) is under 0.4 of its own brightness; candidates
//    narrower than 9 pixels go (speckle); the label moves up to the ridge of
//    the reflection. The skin band fails the shadow test (tissue lies under
//    it). On the bundled spine phantom it marks thin bands on the bone
//    surfaces, and also some bright tissue layers above dark regions; no
//    ground truth says how well.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

namespace igtb {

enum class DemoModel { Detector, Encoder, Decoder, Segmentation };

/// The spec in the config that selects a demo model instead of a file.
inline constexpr const char* kDemoModelSpec = "demo";

std::string demo_model_name(DemoModel which);    ///< "detector", "encoder", "decoder", "segmentation"
std::string demo_model_file(DemoModel which);    ///< "demo_detector.pt", ...
torch::jit::Module make_demo_model(DemoModel which);  ///< on the CPU, float32
/// All four: the detect_segment shape's three in pipeline order, then the segment shape's.
const std::vector<DemoModel>& demo_models();
/// The config.json the demo segmentation model's file carries (aigt's form).
std::string demo_segmentation_config();

/// Writes the demo models into `dir` (created if needed), the segmentation
/// model with its config.json; returns the paths.
std::vector<std::string> save_demo_models(const std::string& dir);

}  // namespace igtb
