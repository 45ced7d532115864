#include "config/schema.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/address_filter.hpp"
#include "core/device_names.hpp"
#include "core/precision.hpp"

namespace igtb::config::schema {

// One row per key: dotted key, member, type/range, doc. Rows of a section must
// be adjacent; the order here is the order of to_yaml(). Then the checks
// across keys.
namespace {

using rule::Bool;
using rule::Int;
using rule::OneOf;
using rule::Real;
using rule::Text;
using rule::TextList;

std::vector<Field> fields() {
  const TextList devices{kDeviceNameMax, "device name"};
  const Real positive{0.0, true};
  const Real non_negative{0.0};
  const Real unit{0.0, false, 1.0};
  const Text path{Text::Kind::Path};
  const Text device_name{Text::Kind::DeviceName};
  return {
      field("input.mode", at(&BridgeConfig::input, &InputConfig::mode), OneOf{{"connect", "listen"}},
            "connect: we are a client of PlusServer; listen: a sender connects to us"),
      field("input.host", at(&BridgeConfig::input, &InputConfig::host), Text{Text::Kind::Host},
            "PlusServer host (connect mode)"),
      field("input.port", at(&BridgeConfig::input, &InputConfig::port), Int<std::uint16_t>{1, 65535},
            "connect mode: PlusServer's port; listen mode: our local port"),
      field("input.bind", at(&BridgeConfig::input, &InputConfig::bind), Text{Text::Kind::Ipv4},
            "local address to listen on (listen mode)"),
      field("input.image_devices", at(&BridgeConfig::input, &InputConfig::image_devices), devices,
            "IMAGE device names to forward; empty = all. With the pipeline on, two or more names run one pipeline "
            "each (outputs <output device>_N)"),
      field("input.transform_devices", at(&BridgeConfig::input, &InputConfig::transform_devices), devices,
            "TRANSFORM device names to forward; empty = all"),
      field("input.reconnect_initial_s", at(&BridgeConfig::input, &InputConfig::reconnect_initial_s), positive,
            "first reconnect delay in seconds; doubles per failed attempt"),
      field("input.reconnect_max_s", at(&BridgeConfig::input, &InputConfig::reconnect_max_s), positive,
            "reconnect delay cap in seconds (>= input.reconnect_initial_s)"),
      field("input.request_v2_headers", at(&BridgeConfig::input, &InputConfig::request_v2_headers), Bool{},
            "on connect, send a v2 STATUS with metadata so PlusServer answers with v2/v3 headers"),
      field("input.check_crc", at(&BridgeConfig::input, &InputConfig::check_crc), Bool{},
            "verify the CRC64 of every received message"),
      field("input.max_message_bytes", at(&BridgeConfig::input, &InputConfig::max_message_bytes),
            Int<std::uint64_t>{1024, std::uint64_t{4} << 30},
            "largest accepted message body in bytes (1 KiB .. 4 GiB)"),

      field("input.allow", at(&BridgeConfig::input, &InputConfig::allow), TextList{18, "IPv4 address or CIDR block"},
            "listen mode: senders allowed to connect (e.g. [127.0.0.1, 192.168.1.0/24]); empty = any"),

      field("output.bind", at(&BridgeConfig::output, &OutputConfig::bind), Text{Text::Kind::Ipv4},
            "address Slicer connects to"),
      field("output.port", at(&BridgeConfig::output, &OutputConfig::port), Int<std::uint16_t>{1, 65535},
            "port Slicer connects to"),
      field("output.max_clients", at(&BridgeConfig::output, &OutputConfig::max_clients), Int<int>{1, 1024},
            "most simultaneous clients"),
      field("output.queue_messages", at(&BridgeConfig::output, &OutputConfig::queue_messages), Int<int>{1, 1024},
            "per-client send queue bound in messages; a slow client drops the oldest"),
      field("output.header_version", at(&BridgeConfig::output, &OutputConfig::header_version), Int<int>{1, 2},
            "header version a client is sent until it sends a version 2 message (PlusServer's rule: 1)"),
      field("output.keepalive_s", at(&BridgeConfig::output, &OutputConfig::keepalive_s), Real{0, false, 3600},
            "seconds without a message to a client before it gets a STATUS keep-alive (finds half-open "
            "connections); 0 = off"),
      field("output.check_crc", at(&BridgeConfig::output, &OutputConfig::check_crc), Bool{},
            "verify the CRC64 of what clients send us"),

      field("output.allow", at(&BridgeConfig::output, &OutputConfig::allow), TextList{18, "IPv4 address or CIDR block"},
            "clients allowed to connect (e.g. [127.0.0.1, 10.0.0.0/8]); empty = any that reach output.bind"),
      field("output.forward_images", at(&BridgeConfig::output, &OutputConfig::forward_images), Bool{},
            "also send each input IMAGE on, so Slicer shows the label map over it"),
      field("output.mask_device", at(&BridgeConfig::output, &OutputConfig::mask_device), device_name,
            "device name of the label map IMAGE"),
      field("output.contour_device", at(&BridgeConfig::output, &OutputConfig::contour_device), device_name,
            "device name of the contour POLYDATA"),
      field("output.state_device", at(&BridgeConfig::output, &OutputConfig::state_device), device_name,
            "device name of the per-frame STRING with the JSON state"),
      field("output.status_device", at(&BridgeConfig::output, &OutputConfig::status_device), device_name,
            "device name of the STRING with the bridge's health (fps, drops, latency, clients)"),
      field("output.status_interval_s", at(&BridgeConfig::output, &OutputConfig::status_interval_s),
            Real{0, false, 3600}, "seconds between health STRING messages; 0 = none"),
      field("output.probability_device", at(&BridgeConfig::output, &OutputConfig::probability_device),
            Text{Text::Kind::OptionalDeviceName},
            "pipeline.kind segment: device name of a second IMAGE, the foreground probability 0..255 (aigt's "
            "output) with the input's geometry; \"\" = not sent"),
      field("output.label_values", at(&BridgeConfig::output, &OutputConfig::label_values),
            OneOf{{"class", "track"}},
            "pipeline.kind segment: the label map holds class values, or the ids of the VISIBLE tracks "
            "(detect_segment's always holds track ids)"),

      field("pipeline.enabled", at(&BridgeConfig::pipeline, &PipelineConfig::enabled), Bool{},
            "run the inference pipeline; false: relay images and transforms unchanged"),
      field("pipeline.kind", at(&BridgeConfig::pipeline, &PipelineConfig::kind),
            OneOf{{"detect_segment", "segment"}},
            "detect_segment: detector, tracker, box-prompted segmenter (models.detector/encoder/decoder); "
            "segment: a semantic segmentation network (models.segmentation), its regions tracked"),
      field(
          "pipeline.cuda_graph", at(&BridgeConfig::pipeline, &PipelineConfig::cuda_graph), Bool{},
          "on cuda: capture each frame shape's device work in a CUDA graph and replay it (eager where capture fails)"),
      field("pipeline.overlap_encoder", at(&BridgeConfig::pipeline, &PipelineConfig::overlap_encoder), Bool{},
            "on cuda: run the segmenter's image encoder on a second stream beside the detector"),
      field("pipeline.stream_priority", at(&BridgeConfig::pipeline, &PipelineConfig::stream_priority),
            OneOf{{"high", "normal"}},
            "on cuda: high: the pipeline's own stream (detector, tracker, decoder, copies: the frame's critical "
            "path) at the GPU's greatest stream priority, the encoder's side stream and other programs' work at "
            "normal; normal: every stream alike"),
      field("pipeline.release_cached_memory", at(&BridgeConfig::pipeline, &PipelineConfig::release_cached_memory),
            Bool{},
            "on cuda: after each CUDA graph capture, give the device memory the eager frames left cached back "
            "to the driver (the graph keeps its own)"),
      field("pipeline.upload_slots", at(&BridgeConfig::pipeline, &PipelineConfig::upload_slots),
            Int<int>{1, kMaxTracks},
            "on cuda: page-locked buffers IMAGEs are received into, and pinned slots of the upload ring"),
      field("pipeline.cpu_threads", at(&BridgeConfig::pipeline, &PipelineConfig::cpu_threads), Int<int>{0, 256},
            "on cpu: threads LibTorch uses for the models; 0 = OMP_NUM_THREADS where set, else every core"),

      field("models.device", at(&BridgeConfig::models, &ModelsConfig::device), Text{Text::Kind::TorchDevice},
            "where the models run"),
      field("models.stream_devices", at(&BridgeConfig::models, &ModelsConfig::stream_devices),
            TextList{8, "cpu, cuda or cuda:N"},
            "two or more input.image_devices: each one's pipeline's device, in that order; empty: models.device"),
      field("models.precision", at(&BridgeConfig::models, &ModelsConfig::precision), OneOf{{"fp32", "fp16", "bf16"}},
            "model weights and inputs; fp16 and bf16 need a cuda device"),
      field("models.detector_precision", at(&BridgeConfig::models, &ModelsConfig::detector_precision),
            OneOf{{"", "fp32", "fp16", "bf16"}},
            "the detector's precision where it differs from models.precision; empty: models.precision"),
      field("models.encoder_precision", at(&BridgeConfig::models, &ModelsConfig::encoder_precision),
            OneOf{{"", "fp32", "fp16", "bf16"}},
            "the segmenter encoder's precision where it differs; empty: models.precision"),
      field("models.decoder_precision", at(&BridgeConfig::models, &ModelsConfig::decoder_precision),
            OneOf{{"", "fp32", "fp16", "bf16"}},
            "the segmenter decoder's precision where it differs; empty: models.precision"),
      field("models.tf32", at(&BridgeConfig::models, &ModelsConfig::tf32), Bool{},
            "on cuda: fp32 convolutions and matrix products (cuDNN, cuBLAS) may use TF32 tensor cores (faster, "
            "~3 significant digits); false: IEEE fp32. Process-wide; kernels an AOTInductor package generated "
            "itself keep what they were compiled with"),
      field("models.detector", at(&BridgeConfig::models, &ModelsConfig::detector), path,
            "detector TorchScript file, or demo"),
      field("models.encoder", at(&BridgeConfig::models, &ModelsConfig::encoder), path,
            "segmenter image encoder TorchScript file, or demo"),
      field("models.decoder", at(&BridgeConfig::models, &ModelsConfig::decoder), path,
            "segmenter mask decoder TorchScript file, or demo"),
      field("models.detector_input", at(&BridgeConfig::models, &ModelsConfig::detector_input), Int<int>{32, 4096},
            "side of the square detector input, pixels"),
      field("models.segmenter_input", at(&BridgeConfig::models, &ModelsConfig::segmenter_input), Int<int>{32, 4096},
            "side of the square segmenter input, pixels"),
      field("models.segmentation", at(&BridgeConfig::models, &ModelsConfig::segmentation), path,
            "pipeline.kind segment: semantic segmentation TorchScript file (as SlicerIGT/aigt exports it), or demo"),
      field("models.input_size", at(&BridgeConfig::models, &ModelsConfig::input_size), Int<int>{0, 4096},
            "pipeline.kind segment: side S of the model's square input; 0 = what its config.json says"),
      field("models.in_channels", at(&BridgeConfig::models, &ModelsConfig::in_channels), Int<int>{0, 64},
            "pipeline.kind segment: the model's input channels C; 0 = what its config.json says"),
      field("models.normalization", at(&BridgeConfig::models, &ModelsConfig::normalization),
            OneOf{{"none", "unit", "standardize"}},
            "pipeline.kind segment: the frame's values as they are (aigt), scaled to 0..1, or per frame to zero "
            "mean and unit variance"),
      field("models.output", at(&BridgeConfig::models, &ModelsConfig::output), OneOf{{"logits", "probabilities"}},
            "pipeline.kind segment: what the model returns (logits: softmax, or sigmoid for one channel)"),
      field("models.class_names", at(&BridgeConfig::models, &ModelsConfig::class_names),
            TextList{64, "class name"},
            "pipeline.kind segment: names of the classes 1..K-1 (logged, in the state JSON); empty: the model's "
            "config.json \"class_names\", if any"),

      field("detect.top_k", at(&BridgeConfig::detect, &DetectionConfig::top_k), Int<int>{1, kMaxTracks},
            "candidates kept over queries x classes (and segmenter box slots)"),
      field("detect.score_threshold", at(&BridgeConfig::detect, &DetectionConfig::score_threshold), unit,
            "a candidate below this is dropped"),

      field("segment.decision", at(&BridgeConfig::segment, &SegmentConfig::decision),
            OneOf{{"argmax", "threshold"}},
            "pipeline.kind segment: a pixel's class is the most probable one, or foreground where its foreground "
            "probability reaches segment.threshold (a one-channel model: always the threshold)"),
      field("segment.threshold", at(&BridgeConfig::segment, &SegmentConfig::threshold), unit,
            "pipeline.kind segment: the foreground probability threshold"),
      field("segment.min_area", at(&BridgeConfig::segment, &SegmentConfig::min_area), Int<int>{1, 100000000},
            "pipeline.kind segment: pixels a region needs to be an object (tracked); smaller ones stay in the map"),

      field("match.class_weight", at(&BridgeConfig::tracker, &TrackParams::class_weight), non_negative,
            "weight of the focal class cost"),
      field("match.l1_weight", at(&BridgeConfig::tracker, &TrackParams::l1_weight), non_negative,
            "weight of the L1 box distance"),
      field("match.giou_weight", at(&BridgeConfig::tracker, &TrackParams::giou_weight), non_negative,
            "weight of -GIoU"),
      field("match.focal_alpha", at(&BridgeConfig::tracker, &TrackParams::focal_alpha), unit, "focal class cost alpha"),
      field("match.focal_gamma", at(&BridgeConfig::tracker, &TrackParams::focal_gamma), non_negative,
            "focal class cost gamma"),
      field("match.gate", at(&BridgeConfig::tracker, &TrackParams::gate), Real{},
            "a pair costing more than this starts a new track"),
      field("match.min_new_score", at(&BridgeConfig::tracker, &TrackParams::min_new_score), unit,
            "a detection below this score starts no track"),
      field("match.max_tracks", at(&BridgeConfig::tracker, &TrackParams::max_tracks), Int<int>{1, kMaxTracks},
            "live tracks at most; when full the LOST track seen longest ago makes room"),

      field("visibility.theta_on", at(&BridgeConfig::tracker, &TrackParams::theta_on), unit,
            "enter VISIBLE at score >= theta_on"),
      field("visibility.theta_off", at(&BridgeConfig::tracker, &TrackParams::theta_off), unit,
            "leave VISIBLE at score < theta_off"),
      field("visibility.lost_after_frames", at(&BridgeConfig::tracker, &TrackParams::lost_after_frames),
            Int<int>{1, 100000}, "frames unseen after which a track is LOST"),

      field("kpi.path", at(&BridgeConfig::kpi, &KpiConfig::path), Text{Text::Kind::OptionalPath},
            "JSON lines per processed frame; \"\" = none"),

      field("record.dir", at(&BridgeConfig::record, &RecordConfig::dir), Text{Text::Kind::OptionalPath},
            "record input frames + transforms and label maps as PLUS sequences here; \"\" = off"),
      field("record.compress", at(&BridgeConfig::record, &RecordConfig::compress), Bool{},
            "zlib-compress the recorded pixels"),
      field("record.queue_frames", at(&BridgeConfig::record, &RecordConfig::queue_frames), Int<int>{1, 4096},
            "frames waiting for the disk at most; beyond, frames are skipped (counted, logged)"),
      field("record.max_frames_per_file", at(&BridgeConfig::record, &RecordConfig::max_frames_per_file),
            Int<int>{1, 1000000}, "frames per file; the next frame starts a new file"),

      field("http.port", at(&BridgeConfig::http, &HttpConfig::port), Int<std::uint16_t>{0, 65535},
            "monitoring endpoint: /healthz, /metrics (Prometheus), / (dashboard), /events; 0 = off"),
      field("http.bind", at(&BridgeConfig::http, &HttpConfig::bind), Text{Text::Kind::Ipv4},
            "address the monitoring endpoint listens on"),
      field("http.allow", at(&BridgeConfig::http, &HttpConfig::allow), TextList{18, "IPv4 address or CIDR block"},
            "peers allowed to read the endpoint (e.g. [127.0.0.1, 10.0.0.0/8]); empty = any that reach http.bind"),
      field("http.overlay_fps", at(&BridgeConfig::http, &HttpConfig::overlay_fps), Real{0, false, 10},
            "dashboard: pictures of the latest frame with its labels per second at most, made only while a page "
            "is open; 0 = none"),
      field("http.overlay_width", at(&BridgeConfig::http, &HttpConfig::overlay_width), Int<int>{64, 1280},
            "dashboard: the picture's width in pixels at most (the frame is downscaled)"),
      field("http.amber_e2e_ms", at(&BridgeConfig::http, &HttpConfig::amber_e2e_ms), positive,
            "dashboard: the latency card turns amber when e2e p99 exceeds this (ms)"),
      field("http.red_e2e_ms", at(&BridgeConfig::http, &HttpConfig::red_e2e_ms), positive,
            "dashboard: ... and red above this (ms, >= http.amber_e2e_ms)"),
      field("http.amber_drop_percent", at(&BridgeConfig::http, &HttpConfig::amber_drop_percent), Real{0, false, 100},
            "dashboard: the drops card turns amber when this share of the frames in (%) is dropped"),
      field("http.red_drop_percent", at(&BridgeConfig::http, &HttpConfig::red_drop_percent), Real{0, false, 100},
            "dashboard: ... and red above this (%, >= http.amber_drop_percent)"),

      field("health.stuck_after_s", at(&BridgeConfig::health, &HealthConfig::stuck_after_s), positive,
            "unhealthy (/healthz 503, no systemd watchdog ping) when a worker is on one frame this long"),
      field("health.upstream_timeout_s", at(&BridgeConfig::health, &HealthConfig::upstream_timeout_s), positive,
            "unhealthy when the upstream connection, once made, has been lost this long"),
      field("health.window_s", at(&BridgeConfig::health, &HealthConfig::window_s), positive,
            "unhealthy when every frame processed in this many seconds failed"),

      field("log.level", at(&BridgeConfig::log, &LogConfig::level),
            OneOf{{"trace", "debug", "info", "warn", "error", "off"}}, "log verbosity"),
      field("log.summary_interval_s", at(&BridgeConfig::log, &LogConfig::summary_interval_s), positive,
            "seconds between throughput summary lines"),
  };
}

bool is_loopback_of(const std::string& host, const std::string& bind) {
  const std::string h = host == "localhost" ? "127.0.0.1" : host;
  return h == bind || (bind == "0.0.0.0" && h.rfind("127.", 0) == 0);
}

std::string check_allow(const std::string& key, const std::vector<std::string>& entries) {
  for (const auto& e : entries)
    if (const std::string why = AddressFilter::check(e); !why.empty()) return key + ": " + why;
  return {};
}

std::vector<Check> checks() {
  return {
      {{"input.allow"}, [](const BridgeConfig& c) { return check_allow("input.allow", c.input.allow); }},
      {{"output.allow"}, [](const BridgeConfig& c) { return check_allow("output.allow", c.output.allow); }},
      {{"http.allow"}, [](const BridgeConfig& c) { return check_allow("http.allow", c.http.allow); }},
      {{"http.amber_e2e_ms", "http.red_e2e_ms"},
       [](const BridgeConfig& c) -> std::string {
         if (c.http.red_e2e_ms >= c.http.amber_e2e_ms) return {};
         return "http.red_e2e_ms (" + format_double(c.http.red_e2e_ms) + ") must be >= http.amber_e2e_ms (" +
                format_double(c.http.amber_e2e_ms) + ")";
       }},
      {{"http.amber_drop_percent", "http.red_drop_percent"},
       [](const BridgeConfig& c) -> std::string {
         if (c.http.red_drop_percent >= c.http.amber_drop_percent) return {};
         return "http.red_drop_percent (" + format_double(c.http.red_drop_percent) +
                ") must be >= http.amber_drop_percent (" + format_double(c.http.amber_drop_percent) + ")";
       }},
      {{"http.port", "http.bind", "output.port", "output.bind", "input.mode", "input.port", "input.bind"},
       [](const BridgeConfig& c) -> std::string {
         if (c.http.port == 0) return {};
         auto clash = [&](const std::string& bind) { return bind == c.http.bind || bind == "0.0.0.0" || c.http.bind == "0.0.0.0"; };
         if (c.http.port == c.output.port && clash(c.output.bind))
           return "http.port and output.port are both " + std::to_string(c.http.port) + "; they must differ";
         if (c.input.mode == "listen" && c.http.port == c.input.port && clash(c.input.bind))
           return "http.port and input.port are both " + std::to_string(c.http.port) +
                  "; in listen mode the bridge listens on both, so they must differ";
         return {};
       }},
      {{"visibility.theta_on", "visibility.theta_off"},
       [](const BridgeConfig& c) -> std::string {
         if (c.tracker.theta_off <= c.tracker.theta_on) return {};
         return "visibility.theta_off (" + format_double(c.tracker.theta_off) + ") must be <= visibility.theta_on (" +
                format_double(c.tracker.theta_on) + ")";
       }},
      {{"models.stream_devices", "input.image_devices", "pipeline.enabled"},
       [](const BridgeConfig& c) -> std::string {
         const auto& d = c.models.stream_devices;
         if (d.empty()) return {};
         for (const auto& name : d)
           if (!schema::rule::is_torch_device_name(name))
             return "models.stream_devices: '" + name + "' is not cpu, cuda or cuda:N";
         if (!c.pipeline.enabled) return {};  // the relay alone runs no pipeline
         if (d.size() != c.input.image_devices.size() || d.size() < 2)
           return "models.stream_devices lists " + std::to_string(d.size()) + " device(s) for " +
                  std::to_string(c.input.image_devices.size()) +
                  " input.image_devices: one per IMAGE device, for two or more (else use models.device)";
         return {};
       }},
      {{"models.precision", "models.detector_precision", "models.encoder_precision", "models.decoder_precision",
        "models.device", "models.stream_devices"},
       [](const BridgeConfig& c) -> std::string {
         // Each precision on each device a pipeline runs on: models.device, or each stream's.
         const auto& m = c.models;
         const bool streams = !m.stream_devices.empty();
         const std::vector<std::string> devices = streams ? m.stream_devices : std::vector<std::string>{m.device};
         const std::pair<const char*, const std::string*> keys[] = {{"precision", &m.precision},
                                                                    {"detector_precision", &m.detector_precision},
                                                                    {"encoder_precision", &m.encoder_precision},
                                                                    {"decoder_precision", &m.decoder_precision}};
         for (const auto& device : devices)
           for (const auto& [key, value] : keys)
             if (const std::string why = value->empty() ? "" : precision_problem(*value, device); !why.empty())
               return std::string("models.") + key + ": " + why + " (" +
                      (streams ? "models.stream_devices lists " : "models.device is ") + device + ")";
         return {};
       }},
      {{"output.mask_device", "output.contour_device", "output.state_device", "output.status_device",
        "output.probability_device"},
       [](const BridgeConfig& c) -> std::string {
         const auto& o = c.output;
         std::set<std::string> names{o.mask_device, o.contour_device, o.state_device, o.status_device};
         if (names.size() != 4)
           return "output.mask_device, output.contour_device, output.state_device and output.status_device must "
                  "differ";
         if (!o.probability_device.empty() && !names.insert(o.probability_device).second)
           return "output.probability_device '" + o.probability_device + "' is another output's device name";
         return {};
       }},
      {{"pipeline.kind", "output.probability_device"},
       [](const BridgeConfig& c) -> std::string {
         if (c.pipeline.kind == "segment") return {};
         if (c.output.probability_device.empty()) return {};
         return "output.probability_device needs pipeline.kind: segment (a detect_segment pipeline has no "
                "probability map)";
       }},
      {{"input.image_devices", "pipeline.enabled", "output.mask_device", "output.contour_device", "output.state_device",
        "output.status_device", "output.probability_device"},
       [](const BridgeConfig& c) -> std::string {
         // Two or more IMAGE devices: one pipeline each, its outputs named by lane_output_name (<name>_<N>).
         const std::size_t n = c.input.image_devices.size();
         if (!c.pipeline.enabled || n < 2) return {};
         const auto& o = c.output;
         std::vector<std::pair<std::string, std::string>> outputs{
             {"output.mask_device", o.mask_device},
             {"output.contour_device", o.contour_device},
             {"output.state_device", o.state_device}};
         if (!o.probability_device.empty()) outputs.emplace_back("output.probability_device", o.probability_device);
         if (const std::string why = lane_names_problem(c.input.image_devices, outputs); !why.empty())
           return why;
         for (const auto& [key, base] : outputs)
           for (std::size_t lane = 0; lane < n; ++lane)
             if (lane_output_name(base, lane, n) == o.status_device)
               return "output.status_device '" + o.status_device + "' is one pipeline's " + key;
         return {};
       }},
      {{"record.dir", "pipeline.enabled"},
       [](const BridgeConfig& c) -> std::string {
         if (c.record.dir.empty() || c.pipeline.enabled) return {};
         return "record.dir needs pipeline.enabled: true (the relay-only mode does not record)";
       }},
      {{"output.keepalive_s"},
       [](const BridgeConfig& c) -> std::string {
         const double v = c.output.keepalive_s;
         if (v == 0 || v >= 0.1) return {};
         return "output.keepalive_s (" + format_double(v) + ") must be 0 (off) or at least 0.1";
       }},
      {{"output.status_interval_s"},
       [](const BridgeConfig& c) -> std::string {
         const double v = c.output.status_interval_s;
         if (v == 0 || v >= 0.1) return {};
         return "output.status_interval_s (" + format_double(v) + ") must be 0 (off) or at least 0.1";
       }},
      {{"input.reconnect_initial_s", "input.reconnect_max_s"},
       [](const BridgeConfig& c) -> std::string {
         if (c.input.reconnect_max_s >= c.input.reconnect_initial_s) return {};
         return "input.reconnect_max_s (" + format_double(c.input.reconnect_max_s) +
                ") must be >= input.reconnect_initial_s (" + format_double(c.input.reconnect_initial_s) + ")";
       }},
      {{"input.mode", "input.bind", "input.port", "output.bind", "output.port"},
       [](const BridgeConfig& c) -> std::string {
         const bool overlap = c.input.bind == c.output.bind || c.input.bind == "0.0.0.0" || c.output.bind == "0.0.0.0";
         if (c.input.mode != "listen" || c.input.port != c.output.port || !overlap) return {};
         return "input.port and output.port are both " + std::to_string(c.input.port) +
                "; in listen mode the bridge listens on both, so they must differ";
       }},
      {{"input.mode", "input.host", "input.port", "output.bind", "output.port"},
       [](const BridgeConfig& c) -> std::string {
         if (c.input.mode != "connect" || c.input.port != c.output.port || !is_loopback_of(c.input.host, c.output.bind))
           return {};
         return "input.host:input.port (" + c.input.host + ":" + std::to_string(c.input.port) +
                ") is the bridge's own output (output.bind:output.port); it would connect to itself";
       }},
  };
}

}  // namespace

const Schema& schema() {
  static const Schema s(fields(), checks());
  return s;
}

}  // namespace igtb::config::schema
