#include "transport/downstream_server.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "transport/status_codec.hpp"

namespace igtb {

struct DownstreamServer::Client {
  Socket socket;
  std::string peer;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<SharedBytes> queue;
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;
  std::uint64_t keepalives = 0;      // guarded by mutex
  std::uint64_t status_replies = 0;  // guarded by mutex
  std::atomic<bool> closing{false};
  std::atomic<std::uint16_t> header_version{1};
  bool sending = false;  // guarded by mutex
  std::atomic<int> finished{0};  // writer and reader threads that ended
  std::thread writer, reader;

  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      closing = true;
    }
    cv.notify_all();
    socket.shutdown();
  }
};

Bytes make_status_reply(const std::string& device, std::uint16_t header_version) {
  Envelope env;
  env.type = "STATUS";
  env.device = device;
  env.timestamp = timestamp_now();
  env.header_version = header_version;
  Status s;
  s.code = Status::Ok;
  return encode_status(env, s);
}

DownstreamServer::DownstreamServer(ServerOptions options, MessageHandler on_inbound)
    : opt_(std::move(options)), allow_(opt_.allow), on_inbound_(std::move(on_inbound)) {}

DownstreamServer::~DownstreamServer() { stop(); }

void DownstreamServer::start() {
  try {
    listen_ = Socket::listen_tcp(opt_.bind, opt_.port);
  } catch (const SocketError& e) {
    const bool key = opt_.port_key.rfind("--", 0) != 0;  // a config key, or a command-line option
    throw SocketError(opt_.port_key + " " + std::to_string(opt_.port) + ": " + e.what() + " (" +
                      (key ? "--set " + opt_.port_key + "=PORT" : opt_.port_key + " PORT") + " chooses another)");
  }
  port_ = listen_.local_port();
  stop_ = false;
  thread_ = std::thread([this] { accept_loop(); });
}

void DownstreamServer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  reap(true);
  listen_.close();
}

void DownstreamServer::broadcast(const SharedBytes& message) { broadcast(message, message); }

void DownstreamServer::broadcast(const SharedBytes& v1, const SharedBytes& v2) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : clients_) {
    if (c->closing) continue;
    const SharedBytes& message = c->header_version >= 2 ? v2 : v1;
    if (!message) continue;
    {
      std::unique_lock<std::mutex> cl(c->mutex);
      const std::size_t cap = std::size_t(opt_.queue_messages);
      // Lossless mode waits for room; the slices let stop() get through.
      while (!opt_.drop_when_full && !c->closing && !stop_ && c->queue.size() >= cap)
        c->cv.wait_for(cl, std::chrono::milliseconds(100));
      if (c->closing) continue;
      if (c->queue.size() >= cap) {
        c->queue.pop_front();
        ++c->dropped;
        ++dropped_;
      }
      c->queue.push_back(message);
    }
    c->cv.notify_all();
  }
}

bool DownstreamServer::drain(int timeout_ms) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    bool idle = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& c : clients_) {
        std::lock_guard<std::mutex> cl(c->mutex);
        if (!c->closing && (c->sending || !c->queue.empty())) idle = false;
      }
    }
    if (idle) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool DownstreamServer::wait_for_clients(std::size_t n, int timeout_ms, const std::atomic<bool>* cancel) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    std::size_t live = 0;
    for (const auto& c : clients_) live += c->closing ? 0 : 1;
    if (live >= n) return true;
    if ((cancel && cancel->load()) || std::chrono::steady_clock::now() >= until) return false;
    clients_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

std::size_t DownstreamServer::client_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t n = 0;
  for (const auto& c : clients_) n += c->closing ? 0 : 1;
  return n;
}

HeaderVersions DownstreamServer::header_versions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  HeaderVersions v;
  for (const auto& c : clients_) {
    if (c->closing) continue;
    (c->header_version >= 2 ? v.v2 : v.v1) = true;
  }
  return v;
}

std::vector<ClientInfo> DownstreamServer::clients() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ClientInfo> out;
  for (const auto& c : clients_) {
    std::lock_guard<std::mutex> cl(c->mutex);
    out.push_back({c->peer, c->sent, c->dropped, c->queue.size(), c->header_version.load(), c->keepalives,
                   c->status_replies});
  }
  return out;
}

void DownstreamServer::reap(bool all) {
  std::list<std::shared_ptr<Client>> gone;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = clients_.begin(); it != clients_.end();) {
      if (all) (*it)->close();
      if (all || (*it)->finished.load() == 2) {
        gone.push_back(*it);
        it = clients_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : gone) {
    c->close();
    if (c->writer.joinable()) c->writer.join();
    if (c->reader.joinable()) c->reader.join();
  }
}

void DownstreamServer::refuse(const std::string& peer, const std::string& why) {
  // The socket is closed on return (it goes out of scope in the caller).
  ++refused_;
  const std::string address = peer.substr(0, peer.find(':'));
  const std::string key = address + " " + why;
  if (std::find(refused_logged_.begin(), refused_logged_.end(), key) != refused_logged_.end()) return;
  if (refused_logged_.size() < 1024) refused_logged_.push_back(key);  // bounded: a scan cannot grow it
  spdlog::warn("{}: refused {} ({}); further refusals of this address for this reason are not logged", opt_.name,
               peer, why);
}

void DownstreamServer::accept_loop() {
  while (!stop_) {
    reap(false);
    std::string peer;
    std::optional<Socket> s;
    try {
      s = listen_.accept(200, &peer);
    } catch (const std::exception& e) {
      if (!stop_) spdlog::error("{} {}:{}: {}", opt_.name, opt_.bind, port_, e.what());
      break;
    }
    if (!s) continue;
    if (!allow_.allows(peer)) {
      refuse(peer, "not in " + opt_.allow_key);
      continue;
    }
    if (client_count() >= std::size_t(opt_.max_clients)) {
      refuse(peer, "the limit of " + std::to_string(opt_.max_clients) + " connected clients is reached");
      continue;
    }
    auto c = std::make_shared<Client>();
    c->socket = std::move(*s);
    c->peer = peer;
    c->header_version = opt_.initial_header_version;
    spdlog::info("{}: client {} connected", opt_.name, peer);
    ++connections_;
    Client* raw = c.get();
    // Counted (client_count(), broadcasts queue for it) before its threads
    // start: its first message may be handled before this thread goes on.
    // Only this thread and stop(), after joining it, touch the thread objects.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      clients_.push_back(std::move(c));
    }
    clients_cv_.notify_all();
    raw->writer = std::thread([this, raw] {
      std::string why;
      std::vector<SharedBytes> batch;
      const auto keepalive = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(opt_.keepalive_s));
      for (;;) {
        {
          std::unique_lock<std::mutex> lock(raw->mutex);
          auto ready = [raw] { return raw->closing || !raw->queue.empty(); };
          if (opt_.keepalive_s > 0) {
            // Nothing to send for keepalive_s: a STATUS, so that a peer gone
            // without a FIN (cable pulled, host down) fails a send and goes.
            if (!raw->cv.wait_for(lock, keepalive, ready)) {
              raw->queue.push_back(std::make_shared<const Bytes>(make_status_reply("", raw->header_version)));
              ++raw->keepalives;
            }
          } else {
            raw->cv.wait(lock, ready);
          }
          if (raw->closing) break;
          // Everything queued goes out in one gathered send.
          batch.assign(std::make_move_iterator(raw->queue.begin()), std::make_move_iterator(raw->queue.end()));
          raw->queue.clear();
          raw->sending = true;
        }
        if (!opt_.drop_when_full) raw->cv.notify_all();  // room for a waiting broadcast()
        try {
          raw->socket.send_all(batch.data(), batch.size());
        } catch (const std::exception& e) {
          why = e.what();
          break;
        }
        std::size_t bytes = 0;
        for (const auto& m : batch) bytes += m->size();
        sent_messages_.fetch_add(batch.size(), std::memory_order_relaxed);
        sent_bytes_.fetch_add(bytes, std::memory_order_relaxed);
        std::lock_guard<std::mutex> lock(raw->mutex);
        raw->sent += batch.size();
        raw->sending = false;
        batch.clear();
      }
      if (!stop_ && !why.empty()) spdlog::info("{}: client {} gone ({})", opt_.name, raw->peer, why);
      raw->close();
      ++raw->finished;
    });
    raw->reader = std::thread([this, raw] {
      MessageReader reader(raw->socket, opt_.reader, "client " + raw->peer);
      std::atomic<bool>& closing = raw->closing;
      const PumpEnd end = pump_messages(reader, closing, [this, raw](Message&& m) {
        if (m.header.version >= 2 && raw->header_version < 2) raw->header_version = 2;
        if (m.type() == "GET_STATUS") {  // answered to this client alone, in its version (PlusServer does so)
          auto reply = std::make_shared<const Bytes>(make_status_reply(m.device(), raw->header_version));
          {
            std::lock_guard<std::mutex> lock(raw->mutex);
            if (raw->queue.size() >= std::size_t(opt_.queue_messages)) {
              raw->queue.pop_front();
              ++raw->dropped;
              ++dropped_;
            }
            raw->queue.push_back(std::move(reply));
            ++raw->status_replies;
          }
          raw->cv.notify_all();
        }
        if (on_inbound_) on_inbound_(std::move(m));
      });
      if (!stop_ && !raw->closing) {
        if (end.fault)
          spdlog::error("{}: closing client {}: {}", opt_.name, raw->peer, end.why);
        else
          spdlog::info("{}: client {} closed ({})", opt_.name, raw->peer, end.why);
      }
      raw->close();
      ++raw->finished;
    });
  }
}

}  // namespace igtb
