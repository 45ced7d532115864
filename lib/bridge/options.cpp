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
  r.image_devices = cfg.input.image_devices;
  r.transform_devices = cfg.input.transform_devices;
  r.downstream.bind = cfg.output.bind;
  r.downstream.port = cfg.output.port;
  r.downstream.max_clients = cfg.output.max_clients;
  r.downstream.queue_messages = cfg.output.queue_messages;
  r.downstream.initial_header_version = static_cast<std::uint16_t>(cfg.output.header_version);
  r.downstream.reader.check_crc = cfg.output.check_crc;
  return r;
}

}  // namespace igtb
