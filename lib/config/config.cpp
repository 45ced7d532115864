#include "config/config.hpp"

#include "config/schema.hpp"

#include "core/address_filter.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace igtb::config {

namespace schema {

// ---------------------------------------------------------------------------
// THE SCHEMA. One row per key: dotted key, member, type/range, doc.
// Rows of a section must be adjacent; the order here is the order of to_yaml().
// Adding a key: a member in config.hpp, a row here, the key in config/igtbridge.yaml.
// ---------------------------------------------------------------------------
namespace {

using rule::Bool;
using rule::Int;
using rule::OneOf;
using rule::Real;
using rule::Text;
using rule::TextList;
using B = BridgeConfig;
using I = InputConfig;
using O = OutputConfig;
using P = PipelineConfig;
using L = LogConfig;
using M = ModelsConfig;
using D = DetectionConfig;
using T = TrackParams;
using K = KpiConfig;
using R = RecordConfig;

constexpr std::size_t kDeviceNameMax = 20;  // OpenIGTLink header device-name field

std::vector<Field> fields() {
  const TextList devices{kDeviceNameMax, "device name"};
  const Real positive{0.0, true};
  const Real non_negative{0.0};
  const Real unit{0.0, false, 1.0};
  const Text path{Text::Kind::Path};
  const Text device_name{Text::Kind::DeviceName};
  return {
      field("input.mode", at(&B::input, &I::mode), OneOf{{"connect", "listen"}},
            "connect: we are a client of PlusServer; listen: a sender connects to us"),
      field("input.host", at(&B::input, &I::host), Text{Text::Kind::Host}, "PlusServer host (connect mode)"),
      field("input.port", at(&B::input, &I::port), Int<std::uint16_t>{1, 65535},
            "connect mode: PlusServer's port; listen mode: our local port"),
      field("input.bind", at(&B::input, &I::bind), Text{Text::Kind::Ipv4}, "local address to listen on (listen mode)"),
      field("input.image_devices", at(&B::input, &I::image_devices), devices,
            "IMAGE device names to forward; empty = all. With the pipeline on, two or more names run one pipeline "
            "each (outputs <output device>_N)"),
      field("input.transform_devices", at(&B::input, &I::transform_devices), devices,
            "TRANSFORM device names to forward; empty = all"),
      field("input.reconnect_initial_s", at(&B::input, &I::reconnect_initial_s), positive,
            "first reconnect delay in seconds; doubles per failed attempt"),
      field("input.reconnect_max_s", at(&B::input, &I::reconnect_max_s), positive,
            "reconnect delay cap in seconds (>= input.reconnect_initial_s)"),
      field("input.request_v2_headers", at(&B::input, &I::request_v2_headers), Bool{},
            "on connect, send a v2 STATUS with metadata so PlusServer answers with v2/v3 headers"),
      field("input.check_crc", at(&B::input, &I::check_crc), Bool{}, "verify the CRC64 of every received message"),
      field("input.max_message_bytes", at(&B::input, &I::max_message_bytes),
            Int<std::uint64_t>{1024, std::uint64_t{4} << 30}, "largest accepted message body in bytes (1 KiB .. 4 GiB)"),

      field("input.allow", at(&B::input, &I::allow), TextList{18, "IPv4 address or CIDR block"},
            "listen mode: senders allowed to connect (e.g. [127.0.0.1, 192.168.1.0/24]); empty = any"),

      field("output.bind", at(&B::output, &O::bind), Text{Text::Kind::Ipv4}, "address Slicer connects to"),
      field("output.port", at(&B::output, &O::port), Int<std::uint16_t>{1, 65535}, "port Slicer connects to"),
      field("output.max_clients", at(&B::output, &O::max_clients), Int<int>{1, 1024}, "most simultaneous clients"),
      field("output.queue_messages", at(&B::output, &O::queue_messages), Int<int>{1, 1024},
            "per-client send queue bound in messages; a slow client drops the oldest"),
      field("output.header_version", at(&B::output, &O::header_version), Int<int>{1, 2},
            "header version a client is sent until it sends a version 2 message (PlusServer's rule: 1)"),
      field("output.keepalive_s", at(&B::output, &O::keepalive_s), Real{0, false, 3600},
            "seconds without a message to a client before it gets a STATUS keep-alive (finds half-open "
            "connections); 0 = off"),
      field("output.check_crc", at(&B::output, &O::check_crc), Bool{}, "verify the CRC64 of what clients send us"),

      field("output.allow", at(&B::output, &O::allow), TextList{18, "IPv4 address or CIDR block"},
            "clients allowed to connect (e.g. [127.0.0.1, 10.0.0.0/8]); empty = any that reach output.bind"),
      field("output.forward_images", at(&B::output, &O::forward_images), Bool{},
            "also send each input IMAGE on, so Slicer shows the label map over it"),
      field("output.mask_device", at(&B::output, &O::mask_device), device_name,
            "device name of the label map IMAGE"),
      field("output.contour_device", at(&B::output, &O::contour_device), device_name,
            "device name of the contour POLYDATA"),
      field("output.state_device", at(&B::output, &O::state_device), device_name,
            "device name of the per-frame STRING with the JSON state"),
      field("output.status_device", at(&B::output, &O::status_device), device_name,
            "device name of the STRING with the bridge's health (fps, drops, latency, clients)"),
      field("output.status_interval_s", at(&B::output, &O::status_interval_s), Real{0, false, 3600},
            "seconds between health STRING messages; 0 = none"),

      field("pipeline.enabled", at(&B::pipeline, &P::enabled), Bool{},
            "run the inference pipeline; false: relay images and transforms unchanged"),
      field("pipeline.cuda_graph", at(&B::pipeline, &P::cuda_graph), Bool{},
            "on cuda: capture each frame shape's device work in a CUDA graph and replay it (eager where capture fails)"),
      field("pipeline.overlap_encoder", at(&B::pipeline, &P::overlap_encoder), Bool{},
            "on cuda: run the segmenter's image encoder on a second stream beside the detector"),
      field("pipeline.release_cached_memory", at(&B::pipeline, &P::release_cached_memory), Bool{},
            "on cuda: after each CUDA graph capture, give the device memory the eager frames left cached back "
            "to the driver (the graph keeps its own)"),
      field("pipeline.upload_slots", at(&B::pipeline, &P::upload_slots), Int<int>{1, kMaxTracks},
            "on cuda: page-locked buffers IMAGEs are received into, and pinned slots of the upload ring"),
      field("pipeline.cpu_threads", at(&B::pipeline, &P::cpu_threads), Int<int>{0, 256},
            "on cpu: threads LibTorch uses for the models; 0 = OMP_NUM_THREADS where set, else every core"),

      field("models.device", at(&B::models, &M::device), Text{Text::Kind::TorchDevice}, "where the models run"),
      field("models.stream_devices", at(&B::models, &M::stream_devices), TextList{8, "cpu, cuda or cuda:N"},
            "two or more input.image_devices: each one's pipeline's device, in that order; empty: models.device"),
      field("models.precision", at(&B::models, &M::precision), OneOf{{"fp32", "fp16", "bf16"}},
            "model weights and inputs; fp16 and bf16 need a cuda device"),
      field("models.detector_precision", at(&B::models, &M::detector_precision), OneOf{{"", "fp32", "fp16", "bf16"}},
            "the detector's precision where it differs from models.precision; empty: models.precision"),
      field("models.encoder_precision", at(&B::models, &M::encoder_precision), OneOf{{"", "fp32", "fp16", "bf16"}},
            "the segmenter encoder's precision where it differs; empty: models.precision"),
      field("models.decoder_precision", at(&B::models, &M::decoder_precision), OneOf{{"", "fp32", "fp16", "bf16"}},
            "the segmenter decoder's precision where it differs; empty: models.precision"),
      field("models.tf32", at(&B::models, &M::tf32), Bool{},
            "on cuda: fp32 convolutions and matrix products (cuDNN, cuBLAS) may use TF32 tensor cores (faster, "
            "~3 significant digits); false: IEEE fp32. Process-wide; kernels an AOTInductor package generated "
            "itself keep what they were compiled with"),
      field("models.detector", at(&B::models, &M::detector), path, "detector TorchScript file, or demo"),
      field("models.encoder", at(&B::models, &M::encoder), path, "segmenter image encoder TorchScript file, or demo"),
      field("models.decoder", at(&B::models, &M::decoder), path, "segmenter mask decoder TorchScript file, or demo"),
      field("models.detector_input", at(&B::models, &M::detector_input), Int<int>{32, 4096},
            "side of the square detector input, pixels"),
      field("models.segmenter_input", at(&B::models, &M::segmenter_input), Int<int>{32, 4096},
            "side of the square segmenter input, pixels"),

      field("detect.top_k", at(&B::detect, &D::top_k), Int<int>{1, kMaxTracks},
            "candidates kept over queries x classes (and segmenter box slots)"),
      field("detect.score_threshold", at(&B::detect, &D::score_threshold), unit, "a candidate below this is dropped"),

      field("match.class_weight", at(&B::tracker, &T::class_weight), non_negative, "weight of the focal class cost"),
      field("match.l1_weight", at(&B::tracker, &T::l1_weight), non_negative, "weight of the L1 box distance"),
      field("match.giou_weight", at(&B::tracker, &T::giou_weight), non_negative, "weight of -GIoU"),
      field("match.focal_alpha", at(&B::tracker, &T::focal_alpha), unit, "focal class cost alpha"),
      field("match.focal_gamma", at(&B::tracker, &T::focal_gamma), non_negative, "focal class cost gamma"),
      field("match.gate", at(&B::tracker, &T::gate), Real{}, "a pair costing more than this starts a new track"),
      field("match.min_new_score", at(&B::tracker, &T::min_new_score), unit,
            "a detection below this score starts no track"),
      field("match.max_tracks", at(&B::tracker, &T::max_tracks), Int<int>{1, kMaxTracks},
            "live tracks at most; when full the LOST track seen longest ago makes room"),

      field("visibility.theta_on", at(&B::tracker, &T::theta_on), unit, "enter VISIBLE at score >= theta_on"),
      field("visibility.theta_off", at(&B::tracker, &T::theta_off), unit, "leave VISIBLE at score < theta_off"),
      field("visibility.lost_after_frames", at(&B::tracker, &T::lost_after_frames), Int<int>{1, 100000},
            "frames unseen after which a track is LOST"),

      field("kpi.path", at(&B::kpi, &K::path), Text{Text::Kind::OptionalPath},
            "JSON lines per processed frame; \"\" = none"),

      field("record.dir", at(&B::record, &R::dir), Text{Text::Kind::OptionalPath},
            "record input frames + transforms and label maps as PLUS sequences here; \"\" = off"),
      field("record.compress", at(&B::record, &R::compress), Bool{}, "zlib-compress the recorded pixels"),
      field("record.queue_frames", at(&B::record, &R::queue_frames), Int<int>{1, 4096},
            "frames waiting for the disk at most; beyond, frames are skipped (counted, logged)"),
      field("record.max_frames_per_file", at(&B::record, &R::max_frames_per_file), Int<int>{1, 1000000},
            "frames per file; the next frame starts a new file"),

      field("log.level", at(&B::log, &L::level), OneOf{{"trace", "debug", "info", "warn", "error", "off"}},
            "log verbosity"),
      field("log.summary_interval_s", at(&B::log, &L::summary_interval_s), positive,
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
      {{"input.allow"}, [](const B& c) { return check_allow("input.allow", c.input.allow); }},
      {{"output.allow"}, [](const B& c) { return check_allow("output.allow", c.output.allow); }},
      {{"visibility.theta_on", "visibility.theta_off"},
       [](const B& c) -> std::string {
         if (c.tracker.theta_off <= c.tracker.theta_on) return {};
         return "visibility.theta_off (" + format_double(c.tracker.theta_off) +
                ") must be <= visibility.theta_on (" + format_double(c.tracker.theta_on) + ")";
       }},
      {{"models.precision", "models.device"},
       [](const B& c) -> std::string {
         if (c.models.precision == "fp32" || c.models.device != "cpu" || !c.models.stream_devices.empty()) return {};
         return "models.precision " + c.models.precision + " needs a cuda device (models.device is cpu); use fp32";
       }},
      {{"models.stream_devices", "input.image_devices", "pipeline.enabled", "models.precision", "models.detector_precision",
        "models.encoder_precision", "models.decoder_precision"},
       [](const B& c) -> std::string {
         const auto& d = c.models.stream_devices;
         if (d.empty()) return {};
         for (const auto& name : d)
           if (!schema::rule::is_torch_device_name(name)) return "models.stream_devices: '" + name + "' is not cpu, cuda or cuda:N";
         if (!c.pipeline.enabled) return {};  // the relay alone runs no pipeline
         if (d.size() != c.input.image_devices.size() || d.size() < 2)
           return "models.stream_devices lists " + std::to_string(d.size()) + " device(s) for " +
                  std::to_string(c.input.image_devices.size()) +
                  " input.image_devices: one per IMAGE device, for two or more (else use models.device)";
         const std::pair<const char*, const std::string*> keys[] = {{"precision", &c.models.precision},
                                                                    {"detector_precision", &c.models.detector_precision},
                                                                    {"encoder_precision", &c.models.encoder_precision},
                                                                    {"decoder_precision", &c.models.decoder_precision}};
         if (std::find(d.begin(), d.end(), "cpu") != d.end())
           for (const auto& [key, value] : keys)
             if (!value->empty() && *value != "fp32")
               return std::string("models.stream_devices: cpu cannot run models.") + key + " " + *value + "; use fp32";
         return {};
       }},
      {{"models.detector_precision", "models.encoder_precision", "models.decoder_precision", "models.device"},
       [](const B& c) -> std::string {
         if (c.models.device != "cpu" || !c.models.stream_devices.empty()) return {};  // the next check
         const std::pair<const char*, const std::string*> keys[] = {{"detector_precision", &c.models.detector_precision},
                                                                    {"encoder_precision", &c.models.encoder_precision},
                                                                    {"decoder_precision", &c.models.decoder_precision}};
         for (const auto& [key, value] : keys)
           if (!value->empty() && *value != "fp32")
             return std::string("models.") + key + " " + *value + " needs a cuda device (models.device is cpu); use fp32";
         return {};
       }},
      {{"output.mask_device", "output.contour_device", "output.state_device", "output.status_device"},
       [](const B& c) -> std::string {
         const auto& o = c.output;
         const std::set<std::string> names{o.mask_device, o.contour_device, o.state_device, o.status_device};
         if (names.size() == 4) return {};
         return "output.mask_device, output.contour_device, output.state_device and output.status_device must differ";
       }},
      {{"input.image_devices", "pipeline.enabled", "output.mask_device", "output.contour_device",
        "output.state_device", "output.status_device"},
       [](const B& c) -> std::string {
         // Two or more IMAGE devices: one pipeline each, its outputs named <device>_<N> (N from 1, in list order).
         const std::size_t n = c.input.image_devices.size();
         if (!c.pipeline.enabled || n < 2) return {};
         const auto& d = c.input.image_devices;
         for (std::size_t i = 0; i < n; ++i)
           if (std::find(d.begin(), d.begin() + std::ptrdiff_t(i), d[i]) != d.begin() + std::ptrdiff_t(i))
             return "input.image_devices lists '" + d[i] + "' twice (one pipeline per device)";
         const std::string suffix = "_" + std::to_string(n);
         for (const auto& [key, name] : {std::pair<const char*, const std::string*>{"mask_device", &c.output.mask_device},
                                         {"contour_device", &c.output.contour_device},
                                         {"state_device", &c.output.state_device}}) {
           if (name->size() + suffix.size() > 20)
             return std::string("output.") + key + " '" + *name + "' is too long for " + std::to_string(n) +
                    " IMAGE devices: each pipeline's outputs are named '" + *name + suffix +
                    "' and the like, at most 20 characters";
           for (std::size_t i = 1; i <= n; ++i)
             if (*name + "_" + std::to_string(i) == c.output.status_device)
               return "output.status_device '" + c.output.status_device + "' is one pipeline's output." + key;
         }
         return {};
       }},
      {{"record.dir", "pipeline.enabled"},
       [](const B& c) -> std::string {
         if (c.record.dir.empty() || c.pipeline.enabled) return {};
         return "record.dir needs pipeline.enabled: true (the relay-only mode does not record)";
       }},
      {{"output.keepalive_s"},
       [](const B& c) -> std::string {
         const double v = c.output.keepalive_s;
         if (v == 0 || v >= 0.1) return {};
         return "output.keepalive_s (" + format_double(v) + ") must be 0 (off) or at least 0.1";
       }},
      {{"output.status_interval_s"},
       [](const B& c) -> std::string {
         const double v = c.output.status_interval_s;
         if (v == 0 || v >= 0.1) return {};
         return "output.status_interval_s (" + format_double(v) + ") must be 0 (off) or at least 0.1";
       }},
      {{"input.reconnect_initial_s", "input.reconnect_max_s"},
       [](const B& c) -> std::string {
         if (c.input.reconnect_max_s >= c.input.reconnect_initial_s) return {};
         return "input.reconnect_max_s (" + format_double(c.input.reconnect_max_s) +
                ") must be >= input.reconnect_initial_s (" + format_double(c.input.reconnect_initial_s) + ")";
       }},
      {{"input.mode", "input.bind", "input.port", "output.bind", "output.port"},
       [](const B& c) -> std::string {
         const bool overlap = c.input.bind == c.output.bind || c.input.bind == "0.0.0.0" || c.output.bind == "0.0.0.0";
         if (c.input.mode != "listen" || c.input.port != c.output.port || !overlap) return {};
         return "input.port and output.port are both " + std::to_string(c.input.port) +
                "; in listen mode the bridge listens on both, so they must differ";
       }},
      {{"input.mode", "input.host", "input.port", "output.bind", "output.port"},
       [](const B& c) -> std::string {
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

}  // namespace schema

// ---------------------------------------------------------------------------
// Engine: everything below is generic over the table.
// ---------------------------------------------------------------------------
namespace {

using schema::Field;
using schema::ValueError;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw ConfigError(where + ": " + message);
}

std::string at_line(const std::string& source, int line0) { return source + ":" + std::to_string(line0 + 1); }

/// Where each document's first node is (documents without a node are not counted).
struct DocumentMarks : YAML::EventHandler {
  std::vector<YAML::Mark> with_content;
  bool seen = false;
  void note(const YAML::Mark& m) {
    if (!seen) with_content.push_back(m);
    seen = true;
  }
  void end_document() { seen = false; }
  void OnDocumentStart(const YAML::Mark&) override { seen = false; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { note(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnMapEnd() override {}
};

class Builder {
 public:
  BridgeConfig config;

  void apply_document(const std::string& text, const std::string& source) {
    YAML::Node root;
    try {
      // Count documents with a bounded event walk rather than YAML::LoadAll:
      // yaml-cpp 0.7 (Debian 12) loops forever, allocating, in LoadAll on
      // some malformed input (e.g. ",\n", found by fuzz_config; fixed upstream
      // in 2024). YAML::Load, which reads the first document, returns.
      std::istringstream in(text);
      YAML::Parser parser(in);
      DocumentMarks marks;
      for (int i = 0; i < 4 && marks.with_content.size() < 2 && parser.HandleNextDocument(marks); ++i) marks.end_document();
      if (marks.with_content.size() > 1)
        fail(at_line(source, std::max(0, marks.with_content[1].line)),
             "expected one YAML document, found 2 or more (remove the '---' separators)");
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      if (e.mark.is_null()) fail(source, "invalid YAML: " + e.msg);
      fail(at_line(source, e.mark.line) + ":" + std::to_string(e.mark.column + 1), "invalid YAML: " + e.msg);
    } catch (const YAML::Exception& e) {
      fail(source, std::string("invalid YAML: ") + e.what());
    }
    if (!root || root.IsNull()) return;
    if (!root.IsMap()) {
      fail(at_line(source, std::max(0, root.Mark().line)),
           "expected a map of sections (" + join_children("") + ") at the top level, got " + schema::describe_node(root));
    }
    walk(root, "", source);
  }

  void apply_override(const std::string& item) {
    const std::string where = "--set " + item;
    const auto eq = item.find('=');
    const std::string key = eq == std::string::npos ? std::string() : trim(item.substr(0, eq));
    if (key.empty()) fail(where, "expected key=value, e.g. --set output.port=18946");
    const Field* f = schema::schema().leaf(key);
    if (!f) {
      if (schema::schema().is_section(key)) {
        fail(where, "'" + key + "' is a section, not a key; set one of its keys: " + join_children(key, key + "."));
      }
      fail(where, "unknown key '" + key + "'" + schema::schema().unknown_key_hint(key));
    }
    YAML::Node value;
    try {
      value = YAML::Load(item.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      fail(where, key + ": cannot parse the value as YAML: " + e.msg);
    }
    assign(*f, value, true, where, -1, "");
  }

  void validate() const {
    for (const auto& c : schema::schema().checks()) {
      const std::string message = c.check(config);
      if (message.empty()) continue;
      // Report at the origin of the involved key that was set last.
      const Origin* latest = nullptr;
      for (const auto& k : c.keys) {
        const auto it = origins_.find(k);
        if (it != origins_.end() && (!latest || it->second.seq > latest->seq)) latest = &it->second;
      }
      fail(latest ? latest->where : std::string("default configuration"), message);
    }
  }

 private:
  struct Origin {
    std::string where;  // "file.yaml:12" or "--set k=v"
    std::size_t seq;
  };
  std::map<std::string, Origin> origins_;
  std::map<std::string, int> file_lines_;  // key -> 0-based line where a file set it (duplicate detection)
  std::size_t seq_ = 0;

  static std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
  }

  static std::string join_children(const std::string& section, const std::string& prefix = "") {
    std::string out;
    for (const auto& c : schema::schema().children(section)) out += (out.empty() ? "" : ", ") + prefix + c;
    return out;
  }

  void walk(const YAML::Node& map, const std::string& prefix, const std::string& source) {
    for (const auto& kv : map) {
      const YAML::Node& k = kv.first;
      const YAML::Node& v = kv.second;
      const int line = std::max(0, k.Mark().line);
      if (!k.IsScalar()) fail(at_line(source, line), "expected a key name, got " + schema::describe_node(k));
      const std::string key = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
      const auto [seen, inserted] = file_lines_.emplace(key, line);
      if (!inserted) {
        fail(at_line(source, line), "duplicate key '" + key + "' (first set on line " + std::to_string(seen->second + 1) + ")");
      }
      if (const Field* f = schema::schema().leaf(key)) {
        assign(*f, v, false, at_line(source, line), line, source);
      } else if (schema::schema().is_section(key)) {
        if (v.IsNull()) continue;  // "pipeline:" with nothing under it
        if (!v.IsMap()) {
          fail(at_line(source, line), key + ": expected a section with keys " + join_children(key) + ", got " +
                                          schema::describe_node(v));
        }
        walk(v, key, source);
      } else {
        fail(at_line(source, line), "unknown key '" + key + "'" + schema::schema().unknown_key_hint(key));
      }
    }
  }

  // where: location prefix; from a file, source is set and a rule's own line (a list element) wins.
  void assign(const Field& f, const YAML::Node& value, bool from_set, const std::string& where, int line,
              const std::string& source) {
    try {
      f.assign(config, value, from_set);
    } catch (const ValueError& e) {
      const std::string loc = (!from_set && e.line >= 0 && e.line != line) ? at_line(source, e.line) : where;
      fail(loc, f.key + e.subkey + ": " + e.message);
    }
    origins_[f.key] = Origin{where, ++seq_};
  }
};

BridgeConfig finish(Builder& b, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) b.apply_override(o);
  b.validate();
  return b.config;
}

}  // namespace

BridgeConfig parse_config(const std::string& yaml_text, const std::string& source_name,
                          const std::vector<std::string>& overrides) {
  Builder b;
  b.apply_document(yaml_text, source_name);
  return finish(b, overrides);
}

void resolve_paths(BridgeConfig& c, const std::filesystem::path& base) {
  auto resolve = [&](std::string& p, bool model) {
    if (p.empty() || (model && p == "demo") || std::filesystem::path(p).is_absolute()) return;
    p = (base / p).lexically_normal().string();
  };
  resolve(c.models.detector, true);
  resolve(c.models.encoder, true);
  resolve(c.models.decoder, true);
  resolve(c.kpi.path, false);
  resolve(c.record.dir, false);
}

BridgeConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  const std::string full = std::filesystem::absolute(path, ec).lexically_normal().string();
  const std::string named = (ec || full == path) ? "'" + path + "'" : "'" + path + "' (" + full + ")";
  if (std::filesystem::is_directory(path, ec)) throw ConfigError("cannot open config file " + named + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot open config file " + named + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError("cannot read config file " + named);
  Builder b;
  b.apply_document(text.str(), path);
  // Relative paths in the file are relative to the file (a service runs in
  // another working directory); those given with --set, to the working directory.
  resolve_paths(b.config, std::filesystem::path(ec ? path : full).parent_path());
  return finish(b, overrides);
}

BridgeConfig default_config(const std::vector<std::string>& overrides) {
  Builder b;
  return finish(b, overrides);
}

std::string to_yaml(const BridgeConfig& config) {
  std::string out;
  std::vector<std::string> open;  // section path components currently open
  for (const auto& f : schema::schema().fields()) {
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      const auto dot = f.key.find('.', start);
      parts.push_back(f.key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const std::size_t depth = parts.size() - 1;  // number of sections
    std::size_t common = 0;
    while (common < open.size() && common < depth && open[common] == parts[common]) ++common;
    open.resize(common);
    for (std::size_t i = common; i < depth; ++i) {
      out += std::string(2 * i, ' ') + parts[i] + ":\n";
      open.push_back(parts[i]);
    }
    out += std::string(2 * depth, ' ') + parts.back() + ": " + f.encode(config) + "\n";
  }
  return out;
}

bool operator==(const BridgeConfig& a, const BridgeConfig& b) {
  for (const auto& f : schema::schema().fields())
    if (!f.equal(a, b)) return false;
  return true;
}

bool operator!=(const BridgeConfig& a, const BridgeConfig& b) { return !(a == b); }

std::vector<KeyInfo> config_keys() {
  const BridgeConfig defaults;
  std::vector<KeyInfo> out;
  for (const auto& f : schema::schema().fields()) out.push_back(KeyInfo{f.key, f.type, f.doc, f.encode(defaults)});
  return out;
}

std::string quoted_override(const std::string& key, const std::string& value) {
  std::string out = key + "=\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {  // YAML escapes, so the path check names them
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace igtb::config
