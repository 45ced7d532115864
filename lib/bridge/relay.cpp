#include "bridge/relay.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "transport/content_check.hpp"

namespace igtb {
namespace {

bool listed(const std::vector<std::string>& names, const std::string& device) {
  return names.empty() || std::find(names.begin(), names.end(), device) != names.end();
}

}  // namespace

bool relay_accepts(const RelayOptions& o, const Header& h) {
  if (h.type == "IMAGE") return listed(o.image_devices, h.device);
  if (h.type == "TRANSFORM") return listed(o.transform_devices, h.device);
  return h.type == "STATUS" || h.type == "STRING";
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

void Relay::forward(const Message& m) {
  const HeaderVersions want = server_.header_versions();
  SharedBytes v1, v2;
  (m.header.version >= 2 ? v2 : v1) = m.wire;
  if (want.v1 && !v1) v1 = std::make_shared<const Bytes>(reframe(m, 1));
  if (want.v2 && !v2) v2 = std::make_shared<const Bytes>(reframe(m, 2));
  server_.broadcast(v1, v2);
}

void Relay::warn_malformed(const Message& m, const std::string& why) {
  // One line per device and kind of error (the text without its numbers).
  if (!warned_.should_log(m.device() + '\n' + stable_reason(why))) return;
  spdlog::warn("input: {} '{}' dropped, not forwarded: {} (counted in malformed_total; further ones like it from "
               "this device are not logged)",
               m.type(), m.device(), why);
}

void Relay::on_upstream(Message&& m) {
  bytes_ += m.wire->size();
  if (m.type() == "STATUS" && m.device().empty()) return;  // PlusServer's keep-alive: for us, not for Slicer
  if (const std::string why = content_problem(m); !why.empty()) {
    ++malformed_;
    warn_malformed(m, why);
    return;
  }
  if (input_tap_) input_tap_(m);
  if (m.type() != "IMAGE") {
    ++(m.type() == "TRANSFORM" ? transforms_ : texts_);
    forward(m);
    return;
  }
  ++images_;
  if (opt_.forward_images) forward(m);
  if (image_sink_) image_sink_(std::move(m));
}

RelayStats Relay::stats() const {
  RelayStats s;
  s.images = images_.load();
  s.transforms = transforms_.load();
  s.texts = texts_.load();
  s.malformed = malformed_.load();
  s.bytes = bytes_.load();
  s.dropped = server_.dropped();
  s.clients = server_.client_count();
  s.upstream_connected = upstream_->connected();
  s.upstream_connections = upstream_->connections();
  s.sent_messages = server_.sent_messages();
  s.sent_bytes = server_.sent_bytes();
  s.client_connections = server_.connections();
  s.clients_refused = server_.refused();
  return s;
}

std::string relay_summary(const RelayStats& now, const RelayStats& before, double seconds) {
  const double dt = seconds > 0 ? seconds : 1;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "relay: %.1f images/s, %.1f transforms/s, %.1f MB/s, %zu client(s), %llu dropped (total %llu), upstream %s%s",
                double(now.images - before.images) / dt, double(now.transforms - before.transforms) / dt,
                double(now.bytes - before.bytes) / dt / 1e6, now.clients,
                static_cast<unsigned long long>(now.dropped - before.dropped),
                static_cast<unsigned long long>(now.dropped), now.upstream_connected ? "connected" : "not connected",
                now.malformed ? (", " + std::to_string(now.malformed) + " malformed dropped (total)").c_str() : "");
  return buf;
}

}  // namespace igtb
