// The schema's keys and checks across keys (config/schema.cpp): the pipeline's
// keys, output names, devices and precisions, allow-lists.
#include "config/config.hpp"
#include "config/schema.hpp"

#include "../support/catch.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config_errors.hpp"

using namespace igtb::config;
using namespace igtb::config::test;

TEST_CASE("pipeline keys: models, thresholds, matcher, FSM, KPI, output names") {
  const BridgeConfig d = default_config();
  CHECK(d.pipeline.enabled);
  CHECK(d.models.detector == "demo");
  CHECK(d.models.device == "cpu");
  CHECK(d.tracker.l1_weight == 5.0);
  CHECK(d.tracker.lost_after_frames == 10);
  CHECK(d.kpi.path.empty());
  CHECK(d.output.mask_device == "BoneMask");

  const BridgeConfig c = parse_config(
      "models:\n  device: cuda:1\n  precision: fp16\n  detector: /opt/m/dfine.pt\n"
      "match:\n  gate: 2.5\nvisibility:\n  theta_on: 0.7\n  theta_off: 0.3\nkpi:\n  path: /tmp/kpi.jsonl\n",
      "t.yaml");
  CHECK(c.models.device == "cuda:1");
  CHECK(c.models.precision == "fp16");
  CHECK_FALSE(c.models.tf32);  // fp32 is IEEE fp32 unless asked
  CHECK(parse_config("models:\n  tf32: true\n", "t.yaml").models.tf32);
  CHECK(parse_error("models:\n  tf32: maybe\n").find("t.yaml:2: models.tf32") == 0);
  CHECK(c.models.detector == "/opt/m/dfine.pt");
  CHECK(c.tracker.gate == 2.5);
  CHECK(c.tracker.theta_on == 0.7);
  CHECK(c.kpi.path == "/tmp/kpi.jsonl");
  CHECK(parse_config(to_yaml(c), "round.yaml") == c);

  CHECK(parse_error("models:\n  device: gpu\n") == "t.yaml:2: models.device: expected cpu, cuda or cuda:N, got 'gpu'");
  CHECK(parse_error("models:\n  precision: fp8\n").find("t.yaml:2: models.precision: expected one of fp32, fp16, bf16") == 0);
  CHECK(parse_error("models:\n  precision: fp16\n") ==
        "t.yaml:2: models.precision: fp16 needs a CUDA device; use fp32 on the CPU (models.device is cpu)");
  CHECK(parse_error("models:\n  encoder_precision: bf16\n") ==
        "t.yaml:2: models.encoder_precision: bf16 needs a CUDA device; use fp32 on the CPU (models.device is cpu)");
  CHECK(parse_error("models:\n  decoder_precision: fp8\n").find(
            "models.decoder_precision: expected one of '' (empty), fp32, fp16, bf16") != std::string::npos);
  CHECK(parse_config("models:\n  encoder_precision: fp32\n  detector_precision: \"\"\n", "t.yaml").models.encoder_precision ==
        "fp32");
  // An empty value is the empty choice where there is one ("" = models.precision; "" = no KPI file), else an error.
  CHECK(parse_config("models:\n  encoder_precision:\n  decoder_precision: ~\n", "t.yaml").models.encoder_precision.empty());
  CHECK(parse_config("kpi:\n  path:\n", "t.yaml").kpi.path.empty());
  CHECK(default_config({"models.detector_precision="}).models.detector_precision.empty());
  CHECK(parse_error("models:\n  precision:\n").find("t.yaml:2: models.precision: expected one of fp32, fp16, bf16") == 0);
  CHECK(parse_error("models:\n  detector: \"\"\n") == "t.yaml:2: models.detector: expected a file path, got ''");
  CHECK(parse_error("detect:\n  score_threshold: 1.5\n") ==
        "t.yaml:2: detect.score_threshold: expected a number 0..1, got '1.5'");
  CHECK(parse_error("visibility:\n  theta_on: 0.3\n").find("visibility.theta_off (0.4) must be <= visibility.theta_on (0.3)") !=
        std::string::npos);
  CHECK(parse_error("visibility:\n  lost_after_frames: 0\n").find("t.yaml:2: visibility.lost_after_frames") == 0);
  CHECK(parse_error("output:\n  contour_device: BoneMask\n").find("must differ") != std::string::npos);
  CHECK(parse_error("output:\n  status_device: BoneMaskState\n").find("output.status_device must differ") !=
        std::string::npos);
  // Two IMAGE devices with the pipeline on: one pipeline each, outputs <name>_N within 20 characters.
  const std::string two = "input:\n  image_devices: [ProbeA, ProbeB]\n";
  CHECK(parse_error(two + "output:\n  mask_device: ABCDEFGHIJKLMNOPQRS\n")
            .find("output.mask_device 'ABCDEFGHIJKLMNOPQRS' is too long for 2 IMAGE devices: each pipeline's outputs "
                  "are named 'ABCDEFGHIJKLMNOPQRS_2'") != std::string::npos);
  CHECK(parse_error(two + "output:\n  status_device: BoneMaskState_1\n")
            .find("output.status_device 'BoneMaskState_1' is one pipeline's output.state_device") != std::string::npos);
  CHECK(parse_config(two + "output:\n  mask_device: ABCDEFGHIJKLMNOPQR\n", "t.yaml").output.mask_device.size() == 18);
  // One device per stream's pipeline.
  const auto sd = parse_config(two + "models:\n  stream_devices: [cuda:0, cuda:1]\n", "t.yaml");
  CHECK(sd.models.stream_devices == std::vector<std::string>{"cuda:0", "cuda:1"});
  CHECK(default_config({"input.image_devices=A,B", "models.stream_devices=cpu,cuda:1"}).models.stream_devices.size() == 2);
  CHECK(parse_error(two + "models:\n  stream_devices: [cuda:0]\n")
            .find("models.stream_devices lists 1 device(s) for 2 input.image_devices") != std::string::npos);
  CHECK(parse_error("models:\n  stream_devices: [cuda:0, cuda:1]\n")
            .find("models.stream_devices lists 2 device(s) for 0 input.image_devices") != std::string::npos);
  CHECK(parse_config("models:\n  stream_devices: [cuda:0, cuda:1]\npipeline:\n  enabled: false\n", "t.yaml")
            .models.stream_devices.size() == 2);  // unused by the relay alone
  CHECK(parse_error(two + "models:\n  stream_devices: [cuda:0, gpu1]\n")
            .find("models.stream_devices: 'gpu1' is not cpu, cuda or cuda:N") != std::string::npos);
  CHECK(parse_error(two + "models:\n  precision: fp16\n  stream_devices: [cuda:0, cpu]\n")
            .find("models.precision: fp16 needs a CUDA device; use fp32 on the CPU (models.stream_devices lists cpu)") != std::string::npos);
  CHECK(parse_error(two + "models:\n  encoder_precision: bf16\n  stream_devices: [cpu, cpu]\n")
            .find("models.encoder_precision: bf16 needs a CUDA device; use fp32 on the CPU (models.stream_devices lists cpu)") != std::string::npos);
  // fp16 on the streams' GPUs while models.device keeps its default (cpu): the streams' devices decide.
  CHECK(parse_config(two + "models:\n  precision: fp16\n  stream_devices: [cuda:0, cuda:1]\n", "t.yaml")
            .models.precision == "fp16");
  CHECK(parse_error("input:\n  image_devices: [ProbeA, ProbeB, ProbeA]\n")
            .find("IMAGE device 'ProbeA' is listed twice (one pipeline per device)") != std::string::npos);
  CHECK(parse_config(two + "output:\n  mask_device: ABCDEFGHIJKLMNOPQRS\npipeline:\n  enabled: false\n", "t.yaml")
            .input.image_devices.size() == 2);  // the relay alone runs no pipeline
  CHECK(parse_error("output:\n  status_interval_s: 0.05\n") ==
        "t.yaml:2: output.status_interval_s (0.05) must be 0 (off) or at least 0.1");
  CHECK(parse_error("output:\n  status_interval_s: -1\n").find("t.yaml:2: output.status_interval_s: expected") == 0);
  CHECK(default_config({"output.status_interval_s=0"}).output.status_interval_s == 0);
  // --record DIR arrives verbatim, whatever the path holds; control characters are refused.
  CHECK(default_config({}).record.dir.empty());
  CHECK(default_config({quoted_override("record.dir", "/tmp/rec: a \"b\" \\c")}).record.dir == "/tmp/rec: a \"b\" \\c");
  CHECK(set_error({quoted_override("record.dir", "/tmp/a\nb")}).find("record.dir: expected a file path") !=
        std::string::npos);
  CHECK(parse_error("record:\n  queue_frames: 0\n").find("t.yaml:2: record.queue_frames") == 0);
  CHECK(parse_error("record:\n  dir: /tmp/r\npipeline:\n  enabled: false\n").find(
            "record.dir needs pipeline.enabled: true") != std::string::npos);
  CHECK(parse_error("output:\n  mask_device: ThisNameIsLongerThan20\n").find("1..20 printable ASCII") != std::string::npos);
  CHECK(set_error({"kpi.path=/tmp/a\tb"}).find("kpi.path: expected a file path") != std::string::npos);
  CHECK(default_config({"kpi.path=\"\""}).kpi.path.empty());
}

TEST_CASE("the segment shape's keys: the model, its settings, the decision, the outputs") {
  const BridgeConfig d = default_config();
  CHECK(d.pipeline.kind == "detect_segment");
  CHECK(d.models.segmentation == "demo");
  CHECK(d.models.input_size == 0);
  CHECK(d.models.normalization == "none");
  CHECK(d.segment.decision == "argmax");
  CHECK(d.segment.min_area == 20);
  CHECK(d.output.probability_device.empty());
  CHECK(d.output.label_values == "class");

  const BridgeConfig c = parse_config(
      "pipeline:\n  kind: segment\nmodels:\n  segmentation: /opt/aigt/unet.pt\n  input_size: 128\n  in_channels: 1\n"
      "  normalization: unit\n  output: probabilities\nsegment:\n  decision: threshold\n  threshold: 0.3\n"
      "  min_area: 50\noutput:\n  probability_device: Inference\n  label_values: track\n",
      "t.yaml");
  CHECK(c.pipeline.kind == "segment");
  CHECK(c.models.segmentation == "/opt/aigt/unet.pt");
  CHECK(c.models.input_size == 128);
  CHECK(c.segment.threshold == 0.3);
  CHECK(c.output.probability_device == "Inference");
  CHECK(parse_config(to_yaml(c), "round.yaml") == c);
  // A relative model path is the file's directory's.
  const auto dir = std::filesystem::temp_directory_path() / "igtb_schema_segment";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "t.yaml") << "models:\n  segmentation: m/unet.pt\n";
  CHECK(load_config((dir / "t.yaml").string()).models.segmentation == (dir / "m/unet.pt").string());

  CHECK(parse_error("pipeline:\n  kind: semantic\n").find("pipeline.kind") != std::string::npos);
  CHECK(set_error({"models.normalization=zscore"}).find("models.normalization") != std::string::npos);
  CHECK(set_error({"segment.threshold=1.5"}).find("segment.threshold") != std::string::npos);
  CHECK(set_error({"segment.min_area=0"}).find("segment.min_area") != std::string::npos);
  CHECK(set_error({"output.label_values=id"}).find("output.label_values") != std::string::npos);
  // The probability map is the segment shape's, under a name of its own.
  CHECK(set_error({"output.probability_device=Prob"}) ==
        "--set output.probability_device=Prob: output.probability_device needs pipeline.kind: segment (a detect_segment pipeline has no probability map)");
  CHECK(set_error({"pipeline.kind=segment", "output.probability_device=BoneMask"}) ==
        "--set output.probability_device=BoneMask: output.probability_device 'BoneMask' is another output's device name");
  CHECK(set_error({"pipeline.kind=segment", "output.probability_device=ThisNameIsFarTooLongForIGTL"})
            .find("output.probability_device") != std::string::npos);
  CHECK(set_error({"pipeline.kind=segment", "output.probability_device=Prob"}) == "<no error>");
}

TEST_CASE("allow-lists: IPv4 addresses and CIDR blocks, anything else named") {
  const BridgeConfig c = parse_config("output:\n  allow: [127.0.0.1, 10.1.0.0/16]\ninput:\n  allow: [0.0.0.0/0]\n", "t.yaml");
  CHECK(c.output.allow == std::vector<std::string>{"127.0.0.1", "10.1.0.0/16"});
  CHECK(c.input.allow == std::vector<std::string>{"0.0.0.0/0"});
  CHECK(parse_error("output:\n  allow: [10.0.0.0/33]\n") ==
        "t.yaml:2: output.allow: '10.0.0.0/33': the prefix length must be 0..32");
  CHECK(parse_error("input:\n  allow: [slicer-host]\n") ==
        "t.yaml:2: input.allow: 'slicer-host' is not an IPv4 address or address/prefix (e.g. 192.168.1.0/24)");
  CHECK(default_config({"output.allow=192.168.2.7,127.0.0.1"}).output.allow.size() == 2);
}
