#pragma once
// igtbridge configuration: a YAML file, then `--set dotted.key=value` overrides.
//
// Every key is declared once, in the schema table (schema.cpp)
// (key, member, type/range, doc). Parsing, unknown-key detection with a
// did-you-mean, --set, validation, to_yaml() and operator== all come from that
// table. To add a key: a member here, one line in the table, and the key with
// its comment in config/igtbridge.yaml (a test checks the file lists every key
// with its default value).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/track_params.hpp"

namespace igtb::config {

struct InputConfig {
  std::string mode = "connect";                // "connect" (client of PlusServer) | "listen" (a sender connects to us)
  std::string host = "127.0.0.1";              // connect mode: host name or IPv4 address
  std::uint16_t port = 18944;                  // connect: remote port; listen: local port
  std::string bind = "127.0.0.1";              // listen mode bind address (IPv4)
  std::vector<std::string> image_devices;      // device-name filter for IMAGE (empty = all)
  std::vector<std::string> transform_devices;  // device-name filter for TRANSFORM (empty = all)
  double reconnect_initial_s = 0.1;            // backoff start (> 0)
  double reconnect_max_s = 5.0;                // backoff cap (>= initial)
  bool request_v2_headers = true;              // send a v2 STATUS with metadata on connect so PlusServer answers in v2/v3
  bool check_crc = true;
  std::uint64_t max_message_bytes = 64ull << 20;  // 1 KiB .. 4 GiB
  std::vector<std::string> allow;              // listen mode: senders allowed (IPv4 / CIDR); empty = any
};

struct OutputConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 18945;
  int max_clients = 8;     // 1..1024
  int queue_messages = 16; // per-client send queue bound, in messages, 1..1024
  int header_version = 1;  // 1 or 2: header version a client is sent until it sends a version 2 message (PlusServer's rule)
  double keepalive_s = 1.0;  // a client sent nothing for this long gets a STATUS keep-alive; 0 = off, else 0.1..3600
  bool check_crc = true;   // check CRC of what clients send us
  std::vector<std::string> allow;  // clients allowed (IPv4 / CIDR); empty = any who reach output.bind
  bool forward_images = true;                   // also send the input IMAGE on (Slicer shows the label map over it)
  std::string mask_device = "BoneMask";         // IMAGE label map
  std::string contour_device = "BoneContour";   // POLYDATA contours
  std::string state_device = "BoneMaskState";   // STRING JSON state per frame
  std::string status_device = "IgtbridgeStatus";  // STRING JSON health every status_interval_s
  std::string probability_device;               // pipeline.kind segment: IMAGE foreground probability 0..255; "" = off
  std::string label_values = "class";           // pipeline.kind segment: class | track (the label map's values)
  double status_interval_s = 1.0;               // 0 = no status messages; else 0.1..3600
};

struct PipelineConfig {
  bool enabled = true;     // false: relay only
  std::string kind = "detect_segment";  // detect_segment | segment (a semantic segmentation network)
  bool cuda_graph = true;  // CUDA: capture each frame shape's work once, replay it
  bool overlap_encoder = true;  // CUDA: the segmenter's image encoder on a second stream, beside the detector
  std::string stream_priority = "high";  // CUDA: high | normal, the pipeline's own stream (the critical path)
  bool release_cached_memory = true;  // CUDA: after a graph capture, cached device memory back to the driver
  int upload_slots = 4;    // CUDA: pinned host slots of the upload ring, 1..64
  int cpu_threads = 0;     // CPU: LibTorch threads; 0 = OMP_NUM_THREADS where set, else every core
};

struct ModelsConfig {
  std::string device = "cpu";       // cpu | cuda | cuda:N
  // Two or more input.image_devices: the device of each one's pipeline, in
  // that order (e.g. [cuda:0, cuda:1]); empty = models.device for all.
  std::vector<std::string> stream_devices;
  std::string precision = "fp32";   // fp32 | fp16 | bf16 (fp16/bf16 need cuda)
  // One module in another precision (a module that fails its fp16 parity): "" = precision.
  std::string detector_precision, encoder_precision, decoder_precision;
  bool tf32 = false;  // CUDA: fp32 convolutions and matrix products may use TF32 tensor cores
  std::string detector = "demo";    // TorchScript path, or demo
  std::string encoder = "demo";
  std::string decoder = "demo";
  int detector_input = 640;         // square detector input side, 32..4096
  int segmenter_input = 1024;       // square segmenter input side, 32..4096
  // pipeline.kind segment:
  std::string segmentation = "demo";   // TorchScript path (aigt's export), or demo
  int input_size = 0;                  // S of its [1, C, S, S] input; 0 = its config.json's
  int in_channels = 0;                 // C; 0 = its config.json's
  std::string normalization = "none";  // none | unit | standardize
  std::string output = "logits";       // logits | probabilities
  std::vector<std::string> class_names;  // of classes 1..K-1; empty = the model's config.json's, if any
};

struct SegmentConfig {
  std::string decision = "argmax";  // argmax | threshold (a one-channel model: always threshold)
  double threshold = 0.5;           // 0..1, on the foreground probability
  int min_area = 20;                // pixels; a smaller region is no object
};

struct DetectionConfig {
  int top_k = 10;                 // candidates kept over queries x classes, 1..64
  double score_threshold = 0.5;   // 0..1
};

struct KpiConfig {
  std::string path;  // JSON lines per frame; "" = none
};

struct RecordConfig {
  std::string dir;                    // "" = no recording; else created if missing
  bool compress = true;               // zlib (.igs.zraw) or raw (.igs.raw)
  int queue_frames = 32;              // writer queue bound in frames, 1..4096
  int max_frames_per_file = 3000;     // a new file after this many frames, 1..1000000
};

struct HttpConfig {
  std::uint16_t port = 18980;          // the monitoring endpoint (docs/monitoring.md); 0 = off
  std::string bind = "127.0.0.1";      // IPv4
  std::vector<std::string> allow;      // peers allowed (IPv4 / CIDR); empty = any who reach http.bind
  double overlay_fps = 2;              // the dashboard's frame pictures per second at most, 0..10; 0 = none
  int overlay_width = 320;             // their width in pixels at most, 64..1280
  double amber_e2e_ms = 50;            // dashboard: the e2e p99 card turns amber above this
  double red_e2e_ms = 100;             // ... red above this (>= amber)
  double amber_drop_percent = 10;      // dashboard: the drops card turns amber above this share of frames in
  double red_drop_percent = 50;        // ... red above this (>= amber)
};

struct HealthConfig {
  double stuck_after_s = 10;        // a worker on one frame this long: unhealthy
  double upstream_timeout_s = 30;   // upstream lost this long (after a first connection): unhealthy
  double window_s = 5;              // every frame of this many seconds failed: unhealthy
};

struct LogConfig {
  std::string level = "info";       // trace|debug|info|warn|error|off
  double summary_interval_s = 5.0;  // > 0
};

struct BridgeConfig {
  InputConfig input;
  OutputConfig output;
  PipelineConfig pipeline;
  ModelsConfig models;
  DetectionConfig detect;
  SegmentConfig segment;
  TrackParams tracker;  ///< the match.* and visibility.* keys
  KpiConfig kpi;
  RecordConfig record;
  HttpConfig http;
  HealthConfig health;
  LogConfig log;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "key=\"value\"" for the override list, with value as a YAML double-quoted
/// string, so a command-line path or name arrives verbatim (e.g. --record DIR).
std::string quoted_override(const std::string& key, const std::string& value);

/// Loads a YAML file, then applies overrides "dotted.key=value" (from --set),
/// then validates. Relative paths in the file (models.*, kpi.path,
/// record.dir) are made absolute against the file's directory; those of the
/// overrides stay as given (the working directory's).
BridgeConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Same from YAML text (source_name is used in messages instead of a path); for tests.
BridgeConfig parse_config(const std::string& yaml_text, const std::string& source_name,
                          const std::vector<std::string>& overrides = {});

// Defaults only + overrides (no file).
BridgeConfig default_config(const std::vector<std::string>& overrides = {});

// The effective config as YAML text (all keys, schema order), for --print-config.
// parse_config(to_yaml(c), ...) == c for every valid c.
std::string to_yaml(const BridgeConfig& config);

// The keys whose values differ, in schema order.
std::vector<std::string> changed_keys(const BridgeConfig& a, const BridgeConfig& b);

// Sets `keys` of `to` to their values in `from` (unknown keys: std::invalid_argument).
void copy_keys(BridgeConfig& to, const BridgeConfig& from, const std::vector<std::string>& keys);

// Field-by-field comparison over every key of the schema.
bool operator==(const BridgeConfig& a, const BridgeConfig& b);
bool operator!=(const BridgeConfig& a, const BridgeConfig& b);

// One key of the schema, as --help-config and the docs list it.
struct KeyInfo {
  std::string key;            // "output.port"
  std::string type;           // "an integer 1..65535"
  std::string doc;            // one-line description
  std::string default_value;  // YAML text of the default, e.g. "18945"
};
// One entry per key of the schema, in table order.
std::vector<KeyInfo> config_keys();

}  // namespace igtb::config
