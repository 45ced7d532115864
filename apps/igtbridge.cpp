// igtbridge: the daemon. Wiring only: the command line, then the steps of
// bridge/daemon.hpp, each failure one log line and its exit code.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>

#include "bridge/daemon.hpp"
#include "bridge/preflight.hpp"
#include "bridge/reload.hpp"
#include "common.hpp"

int main(int argc, char** argv) {
  std::string config_path, record_dir, log_level;
  std::vector<std::string> overrides;
  bool check_only = false, print_config = false, version = false, watch_config = false;
  CLI::App cli{"igtbridge: OpenIGTLink bridge between a PlusServer and 3D Slicer", "igtbridge"};
  cli.add_option("--config", config_path,
                 "YAML configuration (see config/igtbridge.yaml); without it /etc/igtbridge/igtbridge.yaml where that "
                 "exists, else the built-in defaults");
  cli.add_option("--set", overrides, "override a key: --set output.port=18950 (repeatable)");
  cli.add_flag("--check-config", check_only, "validate the configuration (and load and probe the models) and exit");
  cli.add_flag("--print-config", print_config, "print the effective configuration as YAML and exit");
  cli.add_flag("--version", version, "print version and LibTorch build, and exit");
  cli.add_flag("--watch-config", watch_config,
               "reload when the --config file changes, as on SIGHUP (models and the reloadable keys; "
               "see docs/segment.md)");
  cli.add_option("--record", record_dir, "record the session (input frames, transforms, label maps) into DIR")
      ->type_name("DIR");
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (overrides log.level)")
      ->check(CLI::IsMember(igtb::app::log_levels()));
  igtb::app::set_exit_codes(cli, "2 also a bad model or a path that cannot be written; 3 a socket error at run "
                                 "time (e.g. output.port in use)");
  if (const auto rc = igtb::app::parse(cli, argc, argv)) return *rc;
  if (!log_level.empty()) overrides.push_back("log.level=" + log_level);
  if (!record_dir.empty()) overrides.push_back(igtb::config::quoted_override("record.dir", record_dir));
  const std::string version_text = igtb::app::version_line("igtbridge", igtb::torch_text());
  if (version) return std::printf("%s\n", version_text.c_str()), 0;

  igtb::app::setup_logging("info", "igtbridge");
  igtb::config::BridgeConfig cfg;
  try {
    config_path = igtb::config_source(config_path);
    cfg = igtb::read_config(config_path, overrides);
  } catch (const std::exception& e) {
    return igtb::app::fail(2, std::string("configuration: ") + e.what());
  }
  if (print_config) return std::printf("%s", igtb::config::to_yaml(cfg).c_str()), 0;
  spdlog::info("configuration: {}", config_path.empty() ? "built-in defaults (no --config, no " +
                                                              std::string(igtb::kSystemConfigPath) + ")"
                                                        : config_path);
  spdlog::set_level(spdlog::level::from_str(cfg.log.level));
  igtb::app::keep_large_allocations();
  igtb::log_startup(cfg, version_text);

  // Models are loaded and probed before any socket opens: a bad model is exit 2.
  std::vector<std::unique_ptr<igtb::Pipeline>> pipelines;
  try {
    pipelines = igtb::load_pipelines(cfg);
  } catch (const std::exception& e) {
    return igtb::app::fail(2, std::string("models: ") + e.what());
  }
  if (check_only) {
    // What the run would refuse once started: ports, paths (binds and releases the ports, writes nothing).
    const auto problems = igtb::preflight_problems(cfg);
    for (const auto& p : problems) spdlog::error("{}", p);
    if (!problems.empty()) return 2;
    for (const auto& w : igtb::preflight_warnings(cfg)) spdlog::warn("{}", w);
    std::printf("configuration OK%s; ports free, paths writable\n", pipelines.empty() ? "" : "; models loaded and probed OK");
    return 0;
  }

  igtb::app::install_signal_handlers();
  igtb::app::install_reload_handler();
  const auto stop = [] { return igtb::app::stop_requested().load(); };
  std::optional<igtb::ConfigWatch> watch;
  if (watch_config && !config_path.empty()) watch.emplace(config_path);
  if (watch_config && config_path.empty()) spdlog::warn("--watch-config: no configuration file to watch (built-in defaults)");
  const igtb::ReloadSource reload{
      [&watch] { return igtb::app::reload_requested().exchange(false) || (watch && watch->changed()); },
      [&] { return igtb::read_config(config_path, overrides); }};
  std::unique_ptr<igtb::InferenceBridge> bridge;
  try {
    if (!pipelines.empty()) bridge = igtb::make_bridge(cfg, std::move(pipelines));
  } catch (const std::exception& e) {
    return igtb::app::fail(2, e.what());
  }
  try {
    bridge ? igtb::run_bridge(*bridge, cfg, stop, reload, version_text) : igtb::run_relay(cfg, stop);
  } catch (const std::exception& e) {
    return igtb::app::fail(3, e.what());
  }
  return 0;
}
