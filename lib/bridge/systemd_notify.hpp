// systemd's service notification (sd_notify(3)): READY=1 once serving,
// WATCHDOG=1 while healthy, STOPPING=1 on the way out. Sent to the datagram
// socket $NOTIFY_SOCKET names; nothing happens outside systemd. Written here
// (a dozen lines) rather than linking libsystemd, which the GPU machine's
// staged dependencies do not carry; the protocol is documented as stable
// for reimplementation (systemd's "Interface Portability and Stability").
#pragma once

#include <chrono>
#include <string>

namespace igtb {

/// Sends `state` ("READY=1", ...) to $NOTIFY_SOCKET; false when unset or the
/// send fails (never throws).
bool notify_systemd(const std::string& state);

/// The watchdog interval systemd asks for (WatchdogSec, from $WATCHDOG_USEC
/// when $WATCHDOG_PID is unset or ours), in seconds; 0 = no watchdog.
double systemd_watchdog_s();

/// Feeds systemd's watchdog: WATCHDOG=1 every quarter of its interval while
/// the caller says so; nothing without a watchdog. Call it from the loop whose
/// hang should count.
class SystemdWatchdog {
 public:
  SystemdWatchdog() : interval_s_(systemd_watchdog_s()), last_(std::chrono::steady_clock::now()) {}
  void feed_if_due(std::chrono::steady_clock::time_point now, bool alive = true);

 private:
  double interval_s_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace igtb
