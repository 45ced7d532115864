// A TCP socket (POSIX, blocking, IPv4) with what the bridge needs and
// OpenIGTLink 1.11's igtl::Socket lacks: bounded waits (so readers can watch a
// stop flag and a stall deadline), gathered MSG_NOSIGNAL sends, and shutdown()
// to wake a thread blocked in send/recv from another thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "transport/bytes.hpp"

namespace igtb {

class SocketError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The peer closed the connection (orderly EOF).
class ConnectionClosed : public SocketError {
 public:
  using SocketError::SocketError;
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  /// Connects within timeout_ms. Throws SocketError with the reason.
  static Socket connect_tcp(const std::string& host, std::uint16_t port, int timeout_ms);
  /// Binds and listens (port 0 = ephemeral). SO_REUSEADDR set.
  static Socket listen_tcp(const std::string& bind, std::uint16_t port, int backlog = 16);

  /// Accepts one connection, waiting at most timeout_ms (-1 = forever);
  /// nothing on timeout. peer receives "a.b.c.d:port".
  std::optional<Socket> accept(int timeout_ms, std::string* peer = nullptr);

  /// Receives up to max bytes: what is there at once, else waits up to
  /// wait_ms for some; 0 when nothing came. Throws ConnectionClosed on EOF.
  std::size_t recv_upto(void* p, std::size_t max, int wait_ms);
  /// Sends everything (blocking). Throws SocketError / ConnectionClosed.
  void send_all(const void* p, std::size_t n);
  /// Sends several messages with as few system calls as possible (sendmsg).
  void send_all(const SharedBytes* messages, std::size_t count);

  void set_send_buffer(int bytes);
  void set_nodelay(bool on);
  /// Wakes threads blocked on this socket (their calls fail or return EOF).
  void shutdown();
  void close();

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::uint16_t local_port() const;
  std::string peer_name() const;

 private:
  int fd_ = -1;
};

}  // namespace igtb
