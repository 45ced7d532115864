// igtbridge-models: writes the built-in demo models as TorchScript files
// (the same modules `models.*: demo` loads from memory), or checks model files
// against the pipeline's contracts the way the daemon does at start-up.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "common.hpp"
#include "models/demo_models.hpp"
#include "models/detector_model.hpp"
#include "models/segmenter_model.hpp"

int main(int argc, char** argv) {
  std::string out_dir, detector, encoder, decoder, device = "cpu", precision = "fp32";
  int detector_input = 640, segmenter_input = 1024;
  std::string log_level = "info";
  CLI::App cli{"igtbridge-models: write the demo models, or check model files against the pipeline's contracts",
               "igtbridge-models"};
  cli.set_version_flag("--version", igtb::app::version_line("igtbridge-models"));
  cli.add_option("--out", out_dir, "write demo_detector.pt, demo_encoder.pt, demo_decoder.pt into this directory");
  cli.add_option("--check-detector", detector, "load and probe a detector (path or demo)");
  cli.add_option("--check-encoder", encoder, "load and probe a segmenter encoder (path or demo), with --check-decoder");
  cli.add_option("--check-decoder", decoder, "load and probe a segmenter decoder (path or demo), with --check-encoder");
  cli.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  cli.add_option("--precision", precision, "fp32, fp16 or bf16")->capture_default_str();
  cli.add_option("--detector-input", detector_input, "detector input side")->capture_default_str();
  cli.add_option("--segmenter-input", segmenter_input, "segmenter input side")->capture_default_str();
  igtb::app::add_log_level(cli, log_level);
  igtb::app::set_exit_codes(cli, "2 also a model that does not load or fit its contract");
  if (const auto rc = igtb::app::parse(cli, argc, argv)) return *rc;
  igtb::app::setup_logging(log_level, "models");
  if (out_dir.empty() && detector.empty() && encoder.empty() && decoder.empty()) {
    std::fprintf(stderr, "nothing to do: pass --out DIR or --check-*\n");
    return 2;
  }
  if (encoder.empty() != decoder.empty()) {
    std::fprintf(stderr, "--check-encoder and --check-decoder go together\n");
    return 2;
  }
  try {
    if (!out_dir.empty())
      for (const auto& path : igtb::save_demo_models(out_dir)) std::printf("wrote %s\n", path.c_str());
    const torch::Device dev = igtb::model_device(device);
    const auto dtype = igtb::precision_dtype(precision);
    if (!detector.empty()) {
      const auto d = igtb::load_detector(detector, dev, detector_input, dtype);
      std::printf("detector %s: OK, %lld queries, %lld classes, input %d on %s %s\n", detector.c_str(),
                  static_cast<long long>(d.queries), static_cast<long long>(d.classes), detector_input,
                  dev.str().c_str(), precision.c_str());
    }
    if (!encoder.empty()) {
      const auto s = igtb::load_segmenter(encoder, decoder, dev, segmenter_input, dtype);
      std::printf("segmenter %s + %s: OK, input %d, masks %lld on %s %s\n", encoder.c_str(), decoder.c_str(),
                  segmenter_input, static_cast<long long>(s.mask_size), dev.str().c_str(), precision.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
}
