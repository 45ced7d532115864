#include "transport/upstream.hpp"

#include <spdlog/spdlog.h>

#include "transport/backoff.hpp"
#include "transport/status_codec.hpp"

namespace igtb {

Bytes make_hello_status(const std::string& application) {
  Envelope env;
  env.type = "STATUS";
  env.device = application;
  env.timestamp = timestamp_now();
  env.header_version = 2;
  env.metadata = {{"Application", application}};
  Status s;
  s.code = Status::Ok;
  s.message = application + " connected";
  return encode_status(env, s);
}

// --- client ------------------------------------------------------------------

UpstreamClient::UpstreamClient(UpstreamOptions options, MessageHandler handler)
    : opt_(std::move(options)), handler_(std::move(handler)) {}

UpstreamClient::~UpstreamClient() { stop(); }

std::string UpstreamClient::describe() const { return "upstream " + opt_.host + ":" + std::to_string(opt_.port); }

void UpstreamClient::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void UpstreamClient::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    if (active_) active_->shutdown();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool UpstreamClient::sleep_for(double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stop_.load(); });
}

void UpstreamClient::run() {
  Backoff backoff(opt_.backoff_initial_s, opt_.backoff_max_s);
  const std::string name = describe();
  std::string last_failure;  // logged once per distinct reason, not every retry
  while (!stop_) {
    Socket s;
    try {
      s = Socket::connect_tcp(opt_.host, opt_.port, opt_.connect_timeout_ms);
      if (opt_.request_v2_headers) {
        const Bytes hello = make_hello_status("igtbridge");
        s.send_all(hello.data(), hello.size());
      }
    } catch (const std::exception& e) {
      if (last_failure != e.what()) {
        spdlog::warn("{}: cannot connect ({}); retrying with backoff up to {:.1f} s", name, e.what(), backoff.cap());
        last_failure = e.what();
      }
      if (!sleep_for(backoff.next())) break;
      continue;
    }
    last_failure.clear();
    backoff.reset();
    ++connections_;
    connected_ = true;
    spdlog::info("{}: connected", name);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_ = &s;
      if (stop_) s.shutdown();
    }
    MessageReader reader(s, opt_.reader, name);
    const PumpEnd end = pump_messages(reader, stop_, handler_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_ = nullptr;
    }
    connected_ = false;
    if (stop_) break;
    if (end.fault)
      spdlog::error("{}: closing the connection: {}; reconnecting", name, end.why);
    else
      spdlog::warn("{}: connection lost ({}); reconnecting", name, end.why);
    if (!sleep_for(backoff.next())) break;
  }
  connected_ = false;
}

// --- listener ----------------------------------------------------------------

namespace {

ServerOptions listener_options(const UpstreamOptions& o) {
  ServerOptions s;
  s.name = "upstream listener";
  s.bind = o.bind;
  s.port = o.port;
  s.max_clients = o.max_senders;
  s.reader = o.reader;
  s.allow = o.allow;
  s.allow_key = "input.allow";
  s.port_key = "input.port";
  return s;
}

}  // namespace

UpstreamListener::UpstreamListener(UpstreamOptions options, MessageHandler handler)
    : opt_(std::move(options)), server_(listener_options(opt_), std::move(handler)) {}

UpstreamListener::~UpstreamListener() { stop(); }

std::string UpstreamListener::describe() const {
  return "upstream listener " + opt_.bind + ":" + std::to_string(server_.port());
}

void UpstreamListener::start() {
  server_.start();
  spdlog::info("{}: waiting for senders", describe());
}

void UpstreamListener::stop() { server_.stop(); }

}  // namespace igtb
