// systemd's service notification (sd_notify(3)): READY=1 once serving,
// WATCHDOG=1 while healthy, STOPPING=1 on the way out. Sent to the datagram
// socket $NOTIFY_SOCKET names; nothing happens outside systemd. Written here
// (a dozen lines) rather than linking libsystemd, which the GPU machine's
// staged dependencies do not carry; the protocol is documented as stable
// for reimplementation (systemd's "Interface Portability and Stability").
#pragma once

#include <string>

namespace igtb {

/// Sends `state` ("READY=1", ...) to $NOTIFY_SOCKET; false when unset or the
/// send fails (never throws).
bool notify_systemd(const std::string& state);

/// The watchdog interval systemd asks for (WatchdogSec, from $WATCHDOG_USEC
/// when $WATCHDOG_PID is unset or ours), in seconds; 0 = no watchdog.
double systemd_watchdog_s();

}  // namespace igtb
