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
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

namespace igtb {

enum class DemoModel { Detector, Encoder, Decoder };

/// The spec in the config that selects a demo model instead of a file.
inline constexpr const char* kDemoModelSpec = "demo";

std::string demo_model_name(DemoModel which);    ///< "detector", "encoder", "decoder"
std::string demo_model_file(DemoModel which);    ///< "demo_detector.pt", ...
torch::jit::Module make_demo_model(DemoModel which);  ///< on the CPU, float32
const std::vector<DemoModel>& demo_models();     ///< all three, in pipeline order

/// Writes the three demo models into `dir` (created if needed); returns the paths.
std::vector<std::string> save_demo_models(const std::string& dir);

}  // namespace igtb
