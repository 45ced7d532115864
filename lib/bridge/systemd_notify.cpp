#include "bridge/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace igtb {

bool notify_systemd(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return false;
  const std::size_t len = std::strlen(path);
  sockaddr_un addr{};
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // the abstract namespace
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const socklen_t size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  const bool ok = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), size) ==
                  static_cast<ssize_t>(state.size());
  ::close(fd);
  return ok;
}

void SystemdWatchdog::feed_if_due(std::chrono::steady_clock::time_point now, bool alive) {
  if (interval_s_ <= 0 || !alive || std::chrono::duration<double>(now - last_).count() < interval_s_ / 4) return;
  notify_systemd("WATCHDOG=1");
  last_ = now;
}

double systemd_watchdog_s() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec || !*usec) return 0;
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid && *pid && std::strtoll(pid, nullptr, 10) != ::getpid())
    return 0;
  char* end = nullptr;
  const long long v = std::strtoll(usec, &end, 10);
  return end && *end == '\0' && v > 0 ? double(v) * 1e-6 : 0.0;
}

}  // namespace igtb
