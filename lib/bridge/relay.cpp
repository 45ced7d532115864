#include "bridge/relay.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace igtb {
namespace {

bool listed(const std::vector<std::string>& names, const std::string& device) {
  return names.empty() || std::find(names.begin(), names.end(), device) != names.end();
}

}  // namespace

bool relay_accepts(const RelayOptions& o, const Header& h) {
  if (h.type == "IMAGE") return listed(o.image_devices, h.device);
  if (h.type == "TRANSFORM") return listed(o.transform_devices, h.device);
  return false;
}

Relay::Relay(RelayOptions options) : opt_(std::move(options)), server_(opt_.downstream) {
  UpstreamOptions up = opt_.upstream;
  up.reader.accept = [this](const Header& h) { return relay_accepts(opt_, h); };
  up.reader.buffer = [this](const Header& h, std::size_t size) {
    return buffer_source_ ? buffer_source_(h, size) : nullptr;
  };
  auto handler = [this](Message&& m) { on_upstream(std::move(m)); };
  if (opt_.input_mode == "listen")
    upstream_ = std::make_unique<UpstreamListener>(up, handler);
  else if (opt_.input_mode == "connect")
    upstream_ = std::make_unique<UpstreamClient>(up, handler);
  else
    throw std::invalid_argument("input mode '" + opt_.input_mode + "' is not connect or listen");
}

Relay::~Relay() { stop(); }

void Relay::start() {
  server_.start();
  spdlog::info("output: serving on {}:{} (max {} clients)", opt_.downstream.bind, server_.port(),
               opt_.downstream.max_clients);
  upstream_->start();
}

void Relay::stop() {
  if (upstream_) upstream_->stop();
  server_.stop();
}

std::uint16_t Relay::output_port() const { return server_.port(); }

std::uint16_t Relay::input_port() const {
  if (auto* l = dynamic_cast<UpstreamListener*>(upstream_.get())) return l->port();
  return 0;
}

std::string Relay::upstream_name() const { return upstream_->describe(); }

void Relay::on_upstream(Message&& m) {
  bytes_ += m.wire->size();
  if (input_tap_) input_tap_(m);
  if (m.type() != "IMAGE") {
    ++transforms_;
    server_.broadcast(m.wire);
    return;
  }
  ++images_;
  if (opt_.forward_images) server_.broadcast(m.wire);
  if (image_sink_) image_sink_(std::move(m));
}

RelayStats Relay::stats() const {
  RelayStats s;
  s.images = images_.load();
  s.transforms = transforms_.load();
  s.bytes = bytes_.load();
  s.dropped = server_.dropped();
  s.clients = server_.client_count();
  s.upstream_connected = upstream_->connected();
  s.upstream_connections = upstream_->connections();
  return s;
}

std::string relay_summary(const RelayStats& now, const RelayStats& before, double seconds) {
  const double dt = seconds > 0 ? seconds : 1;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "relay: %.1f images/s, %.1f transforms/s, %.1f MB/s, %zu client(s), %llu dropped (total %llu), upstream %s",
                double(now.images - before.images) / dt, double(now.transforms - before.transforms) / dt,
                double(now.bytes - before.bytes) / dt / 1e6, now.clients,
                static_cast<unsigned long long>(now.dropped - before.dropped),
                static_cast<unsigned long long>(now.dropped), now.upstream_connected ? "connected" : "not connected");
  return buf;
}

}  // namespace igtb
