// Where IMAGE/TRANSFORM come from: a PlusServer we connect to (UpstreamClient,
// reconnecting with backoff), or senders that connect to us (UpstreamListener).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <thread>

#include "transport/downstream_server.hpp"
#include "transport/message_reader.hpp"

namespace igtb {

struct UpstreamOptions {
  std::string host = "127.0.0.1";  ///< client: PlusServer address
  std::uint16_t port = 18944;      ///< client: remote port; listener: local port (0 = ephemeral)
  std::string bind = "127.0.0.1";  ///< listener
  double backoff_initial_s = 0.1;
  double backoff_max_s = 5.0;
  int connect_timeout_ms = 2000;
  /// Send a STATUS with a v2 header and metadata on connect: PlusServer then
  /// answers this client with v2 headers, so frame fields arrive as metadata.
  bool request_v2_headers = true;
  int max_senders = 4;  ///< listener
  std::vector<std::string> allow;  ///< listener: senders allowed (addresses, CIDR blocks); empty = any
  ReaderOptions reader;
};

class Upstream {
 public:
  virtual ~Upstream() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual bool connected() const = 0;
  virtual std::string describe() const = 0;
  /// Times a connection was established.
  virtual std::uint64_t connections() const = 0;
};

/// The handshake message: a STATUS with header v2 and metadata.
Bytes make_hello_status(const std::string& application);

class UpstreamClient : public Upstream {
 public:
  UpstreamClient(UpstreamOptions options, MessageHandler handler);
  ~UpstreamClient() override;
  void start() override;
  void stop() override;
  bool connected() const override { return connected_.load(); }
  std::uint64_t connections() const override { return connections_.load(); }
  std::string describe() const override;

 private:
  void run();
  bool sleep_for(double seconds);  ///< false when stopped

  UpstreamOptions opt_;
  MessageHandler handler_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> connections_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  Socket* active_ = nullptr;  ///< guarded by mutex_: to wake a blocked read on stop
  std::thread thread_;
};

/// Senders connect to us and push messages: the same server as the output
/// side (bounded clients, a reader thread each), with nothing sent back.
class UpstreamListener : public Upstream {
 public:
  UpstreamListener(UpstreamOptions options, MessageHandler handler);
  ~UpstreamListener() override;
  /// Binds (throws SocketError) and starts accepting.
  void start() override;
  void stop() override;
  bool connected() const override { return server_.client_count() > 0; }
  std::uint64_t connections() const override { return server_.connections(); }
  std::string describe() const override;
  std::uint16_t port() const { return server_.port(); }

 private:
  UpstreamOptions opt_;
  DownstreamServer server_;
};

}  // namespace igtb
