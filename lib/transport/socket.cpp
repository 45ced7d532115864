#include "transport/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>
#include <chrono>
#include <cstring>

namespace igtb {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

std::string addr_text(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

sockaddr_in resolve(const std::string& host, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) == 1) return a;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) throw SocketError("cannot resolve '" + host + "': " + gai_strerror(rc));
  a.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return a;
}

int poll_one(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw SocketError("poll: " + errno_text(errno));
    return r == 0 ? 0 : p.revents;
  }
}

}  // namespace

Socket::~Socket() { close(); }

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Socket Socket::connect_tcp(const std::string& host, std::uint16_t port, int timeout_ms) {
  const sockaddr_in a = resolve(host, port);
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) throw SocketError("socket: " + errno_text(errno));
  if (::connect(s.fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS) throw SocketError(errno_text(errno));
    const int ev = poll_one(s.fd_, POLLOUT, timeout_ms);
    if (ev == 0) throw SocketError("timed out after " + std::to_string(timeout_ms) + " ms");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s.fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) throw SocketError(errno_text(err));
  }
  const int flags = fcntl(s.fd_, F_GETFL);
  fcntl(s.fd_, F_SETFL, flags & ~O_NONBLOCK);
  s.set_nodelay(true);
  return s;
}

Socket Socket::listen_tcp(const std::string& bind, std::uint16_t port, int backlog) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, bind.c_str(), &a.sin_addr) != 1)
    throw SocketError("bind address '" + bind + "' is not an IPv4 address");
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) throw SocketError("socket: " + errno_text(errno));
  const int one = 1;
  setsockopt(s.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
    throw SocketError("cannot bind " + bind + ":" + std::to_string(port) + ": " + errno_text(errno));
  if (::listen(s.fd_, backlog) != 0) throw SocketError("listen: " + errno_text(errno));
  return s;
}

std::optional<Socket> Socket::accept(int timeout_ms, std::string* peer) {
  const int ev = poll_one(fd_, POLLIN, timeout_ms);
  if (ev == 0) return std::nullopt;
  if (ev & (POLLERR | POLLNVAL)) throw SocketError("listening socket closed");
  sockaddr_in a{};
  socklen_t len = sizeof a;
  const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&a), &len, SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return std::nullopt;
    throw SocketError("accept: " + errno_text(errno));
  }
  Socket s(fd);
  s.set_nodelay(true);
  if (peer) *peer = addr_text(a);
  return s;
}

std::size_t Socket::recv_upto(void* p, std::size_t max, int wait_ms) {
  for (;;) {
    // Read what is there first; wait only when nothing is.
    const ssize_t r = ::recv(fd_, p, max, MSG_DONTWAIT);
    if (r > 0) return std::size_t(r);
    if (r == 0) throw ConnectionClosed("connection closed by peer");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw SocketError("recv: " + errno_text(errno));
    if (poll_one(fd_, POLLIN, wait_ms) == 0) return 0;
  }
}

void Socket::send_all(const SharedBytes* messages, std::size_t count) {
  std::vector<iovec> iov;
  iov.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    if (!messages[i]->empty())
      iov.push_back({const_cast<std::uint8_t*>(messages[i]->data()), messages[i]->size()});
  std::size_t first = 0;
  while (first < iov.size()) {
    msghdr msg{};
    msg.msg_iov = &iov[first];
    msg.msg_iovlen = std::min<std::size_t>(iov.size() - first, IOV_MAX);
    const ssize_t r = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) throw ConnectionClosed("connection closed by peer");
      throw SocketError("send: " + errno_text(errno));
    }
    // Skip what was sent, possibly ending inside one buffer.
    std::size_t sent = std::size_t(r);
    while (first < iov.size() && sent >= iov[first].iov_len) sent -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<std::uint8_t*>(iov[first].iov_base) + sent;
      iov[first].iov_len -= sent;
    }
  }
}

void Socket::send_all(const void* p, std::size_t n) {
  const auto* in = static_cast<const std::uint8_t*>(p);
  while (n > 0) {
    const ssize_t r = ::send(fd_, in, n, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) throw ConnectionClosed("connection closed by peer");
      throw SocketError("send: " + errno_text(errno));
    }
    in += r;
    n -= std::size_t(r);
  }
}

void Socket::set_send_buffer(int bytes) { setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes); }

void Socket::set_nodelay(bool on) {
  const int v = on ? 1 : 0;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
}

void Socket::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void Socket::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

std::uint16_t Socket::local_port() const {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

std::string Socket::peer_name() const {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "?";
  return addr_text(a);
}

}  // namespace igtb
