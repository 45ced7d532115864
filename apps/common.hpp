// Shared by the apps: the command-line conventions, logging set-up and
// signal handling. Wiring only.
#pragma once

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <string>

#ifndef IGTB_VERSION
#define IGTB_VERSION "unknown"
#endif
#ifndef IGTB_GIT_HASH
#define IGTB_GIT_HASH "unknown"
#endif

namespace igtb::app {

/// "<program> <version> (git <hash>)", or "(git <hash>, <more>)".
inline std::string version_line(const std::string& program, const std::string& more = "") {
  return program + " " IGTB_VERSION " (git " IGTB_GIT_HASH + (more.empty() ? "" : ", " + more) + ")";
}

/// The log levels every program takes with --log-level.
inline const std::vector<std::string>& log_levels() {
  static const std::vector<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
  return levels;
}

/// --log-level LEVEL (checked against log_levels()).
inline CLI::Option* add_log_level(CLI::App& cli, std::string& level) {
  return cli.add_option("--log-level", level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember(log_levels()))
      ->capture_default_str();
}

/// The exit codes, for --help (and so the man pages): `codes` lists the
/// program's own beyond 0 and 2.
inline void set_exit_codes(CLI::App& cli, const std::string& codes) {
  cli.footer("Exit codes: 0 success; 2 usage or configuration error" + (codes.empty() ? "" : "; " + codes) + ".");
}

/// Parses the command line. Nothing when the program should go on; else its
/// exit code: 0 after --help or --version (printed), 2 for a usage error
/// (one line, and the --help hint, on stderr; CLI11's own codes are 105-114).
inline std::optional<int> parse(CLI::App& cli, int argc, char** argv) {
  try {
    cli.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::Success& e) {  // --help, --version
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s\nRun with --help for more information.\n", cli.get_name().c_str(), e.what());
    return 2;
  }
}

inline std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

inline std::atomic<bool>& reload_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

/// SIGHUP sets reload_requested() (igtbridge: reload the models).
inline void install_reload_handler() {
  std::signal(SIGHUP, [](int) { reload_requested().store(true); });
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

/// The app boundary's one error line; returns `exit_code` for main to return.
inline int fail(int exit_code, const std::string& line) {
  spdlog::error("{}", line);
  return exit_code;
}

/// Logs go to stderr so a tool's own stdout stays machine-readable.
inline void setup_logging(const std::string& level, const std::string& name) {
  auto lvl = spdlog::level::from_str(level);
  spdlog::set_default_logger(spdlog::stderr_color_mt(name));
  spdlog::set_level(lvl);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %n %^%l%$: %v");
}

/// `built_in` if that file exists (a build tree), else the same file name under
/// <prefix>/share/igtbridge/data next to the running executable (an install).
inline std::string installed_data_file(const std::string& built_in) {
  if (built_in.empty() || ::access(built_in.c_str(), R_OK) == 0) return built_in;
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return built_in;
  std::string dir(exe, static_cast<std::size_t>(n));
  dir = dir.substr(0, dir.find_last_of('/'));                  // <prefix>/bin
  const std::string name = built_in.substr(built_in.find_last_of('/') + 1);
  const std::string installed = dir.substr(0, dir.find_last_of('/')) + "/share/igtbridge/data/" + name;
  return ::access(installed.c_str(), R_OK) == 0 ? installed : built_in;
}

/// The pipeline allocates the same large tensors every frame (the 1024x1024
/// segmenter input, full-size masks). glibc serves blocks above its mmap
/// threshold with fresh mmaps and returns them on free, so every frame pays
/// page faults on ~20 MB again: measured on the 2-core dev machine,
/// `igtbridge-bench pipeline` 22 frames/s with glibc's defaults, 33 with
/// the heap kept (fixed thresholds). Memory stays bounded by the per-frame
/// working set, which the heap then reuses.
inline void keep_large_allocations() {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1024 << 20);
#endif
}

}  // namespace igtb::app
