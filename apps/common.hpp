// Shared by the apps: logging set-up and signal handling. Wiring only.
#pragma once

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <string>

namespace igtb::app {

inline std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

/// SIGINT/SIGTERM set stop_requested(); a second signal exits at once.
inline void install_signal_handlers() {
  auto handler = [](int) {
    if (stop_requested().exchange(true)) std::_Exit(130);
  };
  std::signal(SIGINT, handler);
  std::signal(SIGTERM, handler);
  std::signal(SIGPIPE, SIG_IGN);
}

/// Logs go to stderr so a tool's own stdout stays machine-readable.
inline void setup_logging(const std::string& level, const std::string& name) {
  auto lvl = spdlog::level::from_str(level);
  spdlog::set_default_logger(spdlog::stderr_color_mt(name));
  spdlog::set_level(lvl);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %n %^%l%$: %v");
}

}  // namespace igtb::app
