#include "bridge/options.hpp"

namespace igtb {

RelayOptions relay_options(const config::BridgeConfig& cfg) {
  RelayOptions r;
  r.input_mode = cfg.input.mode;
  r.upstream.host = cfg.input.host;
  r.upstream.port = cfg.input.port;
  r.upstream.bind = cfg.input.bind;
  r.upstream.backoff_initial_s = cfg.input.reconnect_initial_s;
  r.upstream.backoff_max_s = cfg.input.reconnect_max_s;
  r.upstream.request_v2_headers = cfg.input.request_v2_headers;
  r.upstream.reader.check_crc = cfg.input.check_crc;
  r.upstream.reader.max_message_bytes = cfg.input.max_message_bytes;
  r.upstream.allow = cfg.input.allow;
  r.image_devices = cfg.input.image_devices;
  r.transform_devices = cfg.input.transform_devices;
  r.forward_images = cfg.output.forward_images || !cfg.pipeline.enabled;
  r.downstream.bind = cfg.output.bind;
  r.downstream.port = cfg.output.port;
  r.downstream.max_clients = cfg.output.max_clients;
  r.downstream.queue_messages = cfg.output.queue_messages;
  r.downstream.initial_header_version = static_cast<std::uint16_t>(cfg.output.header_version);
  r.downstream.keepalive_s = cfg.output.keepalive_s;
  r.downstream.reader.check_crc = cfg.output.check_crc;
  r.downstream.allow = cfg.output.allow;
  r.downstream.allow_key = "output.allow";
  r.downstream.port_key = "output.port";
  return r;
}

PipelineOptions pipeline_options(const config::BridgeConfig& cfg) {
  PipelineOptions p;
  p.device = cfg.models.device;
  p.precision = cfg.models.precision;
  p.detector_precision = cfg.models.detector_precision;
  p.encoder_precision = cfg.models.encoder_precision;
  p.decoder_precision = cfg.models.decoder_precision;
  p.tf32 = cfg.models.tf32;
  p.detector = cfg.models.detector;
  p.encoder = cfg.models.encoder;
  p.decoder = cfg.models.decoder;
  p.detector_input = cfg.models.detector_input;
  p.segmenter_input = cfg.models.segmenter_input;
  p.cuda_graph = cfg.pipeline.cuda_graph;
  p.overlap_encoder = cfg.pipeline.overlap_encoder;
  p.high_priority = cfg.pipeline.stream_priority == "high";
  p.release_cached_memory = cfg.pipeline.release_cached_memory;
  p.upload_slots = cfg.pipeline.upload_slots;
  p.cpu_threads = cfg.pipeline.cpu_threads;
  p.detect.top_k = cfg.detect.top_k;
  p.detect.score_threshold = cfg.detect.score_threshold;
  p.tracker = cfg.tracker;  // one set of tracker parameters, config to kernel
  p.kind = parse_pipeline_kind(cfg.pipeline.kind);
  p.semantic.model = cfg.models.segmentation;
  p.semantic.settings.input_size = cfg.models.input_size;
  p.semantic.settings.in_channels = cfg.models.in_channels;
  p.semantic.settings.class_names = cfg.models.class_names;
  p.semantic.normalization = parse_normalization(cfg.models.normalization);
  p.semantic.maps.scores = parse_score_kind(cfg.models.output);
  p.semantic.maps.decision = parse_decision(cfg.segment.decision);
  p.semantic.maps.threshold = cfg.segment.threshold;
  p.semantic.min_area = cfg.segment.min_area;
  p.semantic.track_labels = cfg.output.label_values == "track";
  p.semantic.keep_probability = !cfg.output.probability_device.empty();
  return p;
}

std::size_t pipeline_count(const config::BridgeConfig& cfg) {
  return cfg.input.image_devices.size() >= 2 ? cfg.input.image_devices.size() : 1;
}

PipelineOptions stream_pipeline_options(const config::BridgeConfig& cfg, std::size_t index) {
  PipelineOptions p = pipeline_options(cfg);
  if (index < cfg.models.stream_devices.size()) p.device = cfg.models.stream_devices[index];
  return p;
}

InferenceOptions inference_options(const config::BridgeConfig& cfg) {
  InferenceOptions o;
  o.relay = relay_options(cfg);
  o.mask_device = cfg.output.mask_device;
  o.contour_device = cfg.output.contour_device;
  o.state_device = cfg.output.state_device;
  o.probability_device = cfg.output.probability_device;
  o.kpi_path = cfg.kpi.path;
  o.record.dir = cfg.record.dir;
  o.record.compress = cfg.record.compress;
  o.record.queue_frames = static_cast<std::size_t>(cfg.record.queue_frames);
  o.record.max_frames_per_file = static_cast<std::size_t>(cfg.record.max_frames_per_file);
  return o;
}

MonitorOptions monitor_options(const config::BridgeConfig& cfg, const std::string& model_device) {
  MonitorOptions o;
  o.status_interval_s = cfg.output.status_interval_s;
  o.summary_interval_s = cfg.log.summary_interval_s;
  o.status_device = cfg.output.status_device;
  o.model_device = model_device;
  o.precision = pipeline_options(cfg).precision_label();  // with the per-module overrides
  return o;
}

WebOptions web_options(const config::BridgeConfig& cfg, const std::string& model_device, const std::string& version) {
  WebOptions o;
  o.bind = cfg.http.bind;
  o.port = cfg.http.port;
  o.allow = cfg.http.allow;
  o.overlay_fps = cfg.http.overlay_fps;
  o.overlay_width = cfg.http.overlay_width;
  o.amber_e2e_ms = cfg.http.amber_e2e_ms;
  o.red_e2e_ms = cfg.http.red_e2e_ms;
  o.amber_drop_percent = cfg.http.amber_drop_percent;
  o.red_drop_percent = cfg.http.red_drop_percent;
  o.version = version;
  o.model_device = model_device;
  o.precision = pipeline_options(cfg).precision_label();
  return o;
}

HealthOptions health_options(const config::BridgeConfig& cfg) {
  HealthOptions o;
  o.stuck_after_s = cfg.health.stuck_after_s;
  o.upstream_timeout_s = cfg.health.upstream_timeout_s;
  o.window_s = cfg.health.window_s;
  return o;
}

}  // namespace igtb
