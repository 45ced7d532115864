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
    const std::string why = pump_messages(reader, stop_, handler_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_ = nullptr;
    }
    connected_ = false;
    if (stop_) break;
    spdlog::warn("{}: connection lost ({}); reconnecting", name, why);
    if (!sleep_for(backoff.next())) break;
  }
  connected_ = false;
}

// --- listener ----------------------------------------------------------------

UpstreamListener::UpstreamListener(UpstreamOptions options, MessageHandler handler)
    : opt_(std::move(options)), handler_(std::move(handler)) {}

UpstreamListener::~UpstreamListener() { stop(); }

std::string UpstreamListener::describe() const { return "upstream listener " + opt_.bind + ":" + std::to_string(port_); }

void UpstreamListener::start() {
  listen_ = Socket::listen_tcp(opt_.bind, opt_.port);
  port_ = listen_.local_port();
  stop_ = false;
  spdlog::info("{}: waiting for senders", describe());
  thread_ = std::thread([this] { accept_loop(); });
}

void UpstreamListener::stop() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& s : list_) s->socket.shutdown();
  }
  if (thread_.joinable()) thread_.join();
  reap(true);
  listen_.close();
}

void UpstreamListener::reap(bool all) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = list_.begin(); it != list_.end();) {
    if (all || (*it)->done) {
      if ((*it)->thread.joinable()) (*it)->thread.join();
      it = list_.erase(it);
    } else {
      ++it;
    }
  }
}

void UpstreamListener::accept_loop() {
  while (!stop_) {
    reap(false);
    std::string peer;
    std::optional<Socket> s;
    try {
      s = listen_.accept(200, &peer);
    } catch (const std::exception& e) {
      if (!stop_) spdlog::error("{}: {}", describe(), e.what());
      break;
    }
    if (!s) continue;
    if (senders_.load() >= opt_.max_senders) {
      spdlog::warn("{}: refused sender {}: already {} connected (max_senders)", describe(), peer, senders_.load());
      continue;
    }
    auto sender = std::make_unique<Sender>();
    sender->socket = std::move(*s);
    sender->peer = peer;
    Sender* raw = sender.get();
    ++senders_;
    ++connections_;
    spdlog::info("{}: sender {} connected", describe(), peer);
    raw->thread = std::thread([this, raw] {
      MessageReader reader(raw->socket, opt_.reader, "sender " + raw->peer);
      const std::string why = pump_messages(reader, stop_, handler_);
      if (!stop_) spdlog::info("{}: sender {} gone ({})", describe(), raw->peer, why);
      --senders_;
      raw->done = true;
    });
    std::lock_guard<std::mutex> lock(mutex_);
    list_.push_back(std::move(sender));
  }
}

}  // namespace igtb
