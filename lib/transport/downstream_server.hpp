// The server Slicer connects to: any number of clients up to max_clients,
// each with its own bounded send queue and writer thread. A client that does
// not read loses its oldest messages; it never slows the others or the caller
// of broadcast(). As PlusServer does, each client is sent every message in
// its own header version (1 until it has sent a version 2 message), a
// GET_STATUS is answered with a STATUS, and an idle client gets keep-alives.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/address_filter.hpp"
#include "transport/message_reader.hpp"

namespace igtb {

struct ServerOptions {
  std::string name = "output";  ///< prefix of log lines
  std::string bind = "127.0.0.1";
  std::uint16_t port = 18945;  ///< 0 = ephemeral
  int max_clients = 8;
  int queue_messages = 4;      ///< per client; the oldest is dropped beyond
  /// false: a full queue waits for room instead of dropping (a lossless
  /// file replay); a client that stops reading then holds up broadcast().
  bool drop_when_full = true;
  /// Header version each client starts at; like PlusServer, a client moves
  /// to version 2 once it has sent us a message with a version 2 header.
  std::uint16_t initial_header_version = 1;
  /// A client that was sent nothing for this long gets a STATUS keep-alive
  /// (code OK, empty device name, its header version: what PlusServer
  /// sends), so a half-open connection fails a send and is closed. 0 = off.
  double keepalive_s = 1.0;
  ReaderOptions reader;        ///< for what clients send us (Slicer's STATUS, queries)
  /// Peers allowed to connect (addresses, CIDR blocks); empty = anyone who
  /// can reach the bind address. A refused peer is logged once per address.
  std::vector<std::string> allow;
  std::string allow_key = "allow";  ///< the config key named in the refusal line
  std::string port_key = "port";    ///< the config key (or option) named when the port cannot be bound
};

/// Which header versions the connected clients speak.
struct HeaderVersions {
  bool v1 = false, v2 = false;
  bool any() const { return v1 || v2; }
};

struct ClientInfo {
  std::string peer;
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;
  std::size_t queued = 0;
  std::uint16_t header_version = 1;
  std::uint64_t keepalives = 0;     ///< STATUS keep-alives sent
  std::uint64_t status_replies = 0; ///< GET_STATUS answered
};

/// The STATUS that answers a GET_STATUS or keeps an idle client's connection
/// checked: code OK, in the given header version (device as given; "" for a
/// keep-alive, as PlusServer sends it).
Bytes make_status_reply(const std::string& device, std::uint16_t header_version);

class DownstreamServer {
 public:
  /// on_inbound receives messages that clients send (may be empty).
  explicit DownstreamServer(ServerOptions options, MessageHandler on_inbound = {});
  ~DownstreamServer();

  /// Binds (throws SocketError naming port_key and how to change it) and starts accepting.
  void start();
  void stop();
  std::uint16_t port() const { return port_; }

  /// Queues one encoded message for every connected client (no copy).
  void broadcast(const SharedBytes& message);
  /// The same message encoded with header version 1 and 2: each client gets
  /// the one its negotiated version asks for. Either may be null (not
  /// encoded because header_versions() said no client speaks it): a client
  /// of that version (one that connected or moved to version 2 meanwhile)
  /// misses this message.
  void broadcast(const SharedBytes& v1, const SharedBytes& v2);
  /// The header versions of the clients connected now (to encode only those).
  HeaderVersions header_versions() const;
  /// Waits until every client's queue is sent (or the client is gone); true if so.
  bool drain(int timeout_ms) const;
  /// Waits until at least n clients are connected or timeout; true if so.
  bool wait_for_clients(std::size_t n, int timeout_ms, const std::atomic<bool>* cancel = nullptr) const;

  std::size_t client_count() const;
  /// Clients accepted since start.
  std::uint64_t connections() const { return connections_.load(); }
  std::vector<ClientInfo> clients() const;
  /// Messages dropped from client queues since start, all clients.
  std::uint64_t dropped() const { return dropped_.load(); }
  /// Messages and bytes sent since start, all clients (keep-alives and
  /// status replies included).
  std::uint64_t sent_messages() const { return sent_messages_.load(); }
  std::uint64_t sent_bytes() const { return sent_bytes_.load(); }
  /// Connections refused since start (allow-list or max_clients).
  std::uint64_t refused() const { return refused_.load(); }

 private:
  struct Client;
  void accept_loop();
  void reap(bool all);
  void refuse(const std::string& peer, const std::string& why);

  ServerOptions opt_;
  AddressFilter allow_;
  std::vector<std::string> refused_logged_;  ///< addresses already logged (accept thread only)
  std::atomic<std::uint64_t> refused_{0};
  MessageHandler on_inbound_;
  Socket listen_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::uint64_t> sent_messages_{0}, sent_bytes_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable clients_cv_;
  std::list<std::shared_ptr<Client>> clients_;
  std::thread thread_;
};

}  // namespace igtb
