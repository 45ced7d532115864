// A TCP socket (POSIX, blocking, IPv4) with what the bridge needs and
// OpenIGTLink 1.11's igtl::Socket lacks: waits that a stop flag can cut short,
// a deadline for a message that stalls half-way, MSG_NOSIGNAL sends, and
// shutdown() to wake a thread blocked in send/recv/accept from another thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

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

  /// Waits until readable; false on timeout. Throws on error.
  bool wait_readable(int timeout_ms) const;

  /// Reads exactly n bytes. Waits in slices of poll_ms, checking stop
  /// between them; stop -> returns false. Gives up with SocketError when no
  /// byte arrives for stall_ms while part of the n bytes has arrived (a
  /// sender dead mid-message), and throws ConnectionClosed on EOF.
  bool recv_exact(void* p, std::size_t n, const std::atomic<bool>& stop, int stall_ms, int poll_ms = 200);
  /// Receives what is there (at most n) without waiting; 0 if nothing. Throws ConnectionClosed on EOF.
  std::size_t recv_some(void* p, std::size_t n);

  /// Sends everything (blocking). Throws SocketError / ConnectionClosed.
  void send_all(const void* p, std::size_t n);

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
