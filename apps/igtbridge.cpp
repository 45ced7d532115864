// igtbridge: the daemon. Wiring only: config -> models -> relay or pipeline bridge.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include "bridge/options.hpp"
#include "bridge/preflight.hpp"
#include "common.hpp"
#include "config/config.hpp"
#include "models/torch_info.hpp"

int main(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> overrides;
  bool check_only = false, print_config = false, version = false;
  std::string log_level;
  CLI::App cli{"igtbridge: OpenIGTLink bridge between a PlusServer and 3D Slicer", "igtbridge"};
  cli.add_option("--config", config_path,
                 "YAML configuration (see config/igtbridge.yaml); without it /etc/igtbridge/igtbridge.yaml where that "
                 "exists, else the built-in defaults");
  cli.add_option("--set", overrides, "override a key: --set output.port=18950 (repeatable)");
  cli.add_flag("--check-config", check_only, "validate the configuration (and load and probe the models) and exit");
  cli.add_flag("--print-config", print_config, "print the effective configuration as YAML and exit");
  cli.add_flag("--version", version, "print version and LibTorch build, and exit");
  std::string record_dir;
  cli.add_option("--record", record_dir, "record the session (input frames, transforms, label maps) into DIR")
      ->type_name("DIR");
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (overrides log.level)")
      ->check(CLI::IsMember(igtb::app::log_levels()));
  igtb::app::set_exit_codes(cli, "2 also a bad model or a path that cannot be written; 3 a socket error at run "
                                 "time (e.g. output.port in use)");
  if (const auto rc = igtb::app::parse(cli, argc, argv)) return *rc;
  if (!log_level.empty()) overrides.push_back("log.level=" + log_level);
  if (!record_dir.empty()) overrides.push_back(igtb::config::quoted_override("record.dir", record_dir));

  if (version) {
    std::printf("igtbridge %s (git %s, LibTorch %s, %s)\n", IGTB_VERSION, IGTB_GIT_HASH, igtb::torch_version().c_str(),
                igtb::torch_devices().c_str());
    return 0;
  }
  igtb::app::setup_logging("info", "igtbridge");
  igtb::config::BridgeConfig cfg;
  try {
    // Where the configuration comes from, as a Debian service looks for it.
    constexpr const char* kSystemConfig = "/etc/igtbridge/igtbridge.yaml";
    if (config_path.empty() && ::access(kSystemConfig, F_OK) == 0) config_path = kSystemConfig;
    cfg = config_path.empty() ? igtb::config::default_config(overrides)
                              : igtb::config::load_config(config_path, overrides);
    if (!print_config)
      spdlog::info("configuration: {}", config_path.empty() ? std::string("built-in defaults (no --config, no /etc/igtbridge/igtbridge.yaml)")
                                                            : config_path);
  } catch (const std::exception& e) {
    spdlog::error("configuration: {}", e.what());
    return 2;
  }
  if (print_config) {
    std::printf("%s", igtb::config::to_yaml(cfg).c_str());
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(cfg.log.level));
  igtb::app::keep_large_allocations();
  spdlog::info("igtbridge {} (git {}, LibTorch {}, {}), {}", IGTB_VERSION, IGTB_GIT_HASH, igtb::torch_version(), igtb::torch_devices(),
               cfg.pipeline.enabled ? "pipeline mode" : "relay mode");
  if (cfg.output.bind != "127.0.0.1")
    spdlog::warn("output.bind {}: reachable from other machines; OpenIGTLink has no authentication{}", cfg.output.bind,
                 cfg.output.allow.empty() ? " and output.allow is empty (any peer may connect)" : "");
  if (cfg.input.mode == "listen" && cfg.input.bind != "127.0.0.1")
    spdlog::warn("input.bind {}: senders from other machines can connect; OpenIGTLink has no authentication{}",
                 cfg.input.bind, cfg.input.allow.empty() ? " and input.allow is empty (any peer may connect)" : "");

  // Models are loaded and probed before any socket opens: a bad model is exit 2.
  // One pipeline per IMAGE device when several are listed (igtb::pipeline_count).
  std::vector<std::unique_ptr<igtb::Pipeline>> pipelines;
  if (cfg.pipeline.enabled) {
    const std::size_t n = igtb::pipeline_count(cfg);
    for (std::size_t i = 0; i < n; ++i) {
      try {
        pipelines.push_back(std::make_unique<igtb::Pipeline>(igtb::stream_pipeline_options(cfg, i)));
      } catch (const std::exception& e) {
        spdlog::error("models: {}", e.what());
        return 2;
      }
      const igtb::Pipeline& p = *pipelines.back();
      const auto& d = p.detector();
      spdlog::info("models{} on {} ({}): detector {} ({} queries, {} classes, input {}), segmenter {} + {} (masks {}); "
                   "warm-up frame {:.1f} ms",
                   n > 1 ? fmt::format(" for {} (pipeline {} of {})", cfg.input.image_devices[i], i + 1, n) : "",
                   p.device().str(), p.options().precision_label(), cfg.models.detector, d.queries, d.classes,
                   d.input_size, cfg.models.encoder, cfg.models.decoder, p.segmenter().mask_size, p.warmup_ms());
    }
  }
  if (check_only) {
    // What the run would refuse once started: ports, paths (binds and releases the ports, writes nothing).
    const auto problems = igtb::preflight_problems(cfg);
    for (const auto& p : problems) spdlog::error("{}", p);
    if (!problems.empty()) return 2;
    std::printf("configuration OK%s; ports free, paths writable\n", pipelines.empty() ? "" : "; models loaded and probed OK");
    return 0;
  }

  igtb::app::install_signal_handlers();
  try {
    using clock = std::chrono::steady_clock;
    auto last = clock::now();
    auto every_interval = [&](const std::function<void(double)>& log) {
      while (!igtb::app::stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const double dt = std::chrono::duration<double>(clock::now() - last).count();
        if (dt >= cfg.log.summary_interval_s) {
          log(dt);
          last = clock::now();
        }
      }
    };
    if (!pipelines.empty()) {
      const std::string device = pipelines.front()->device().str();
      std::unique_ptr<igtb::InferenceBridge> made;
      try {
        made = std::make_unique<igtb::InferenceBridge>(igtb::inference_options(cfg), std::move(pipelines));
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 2;
      }
      igtb::InferenceBridge& bridge = *made;
      bridge.start();
      igtb::Monitor monitor(bridge, igtb::monitor_options(cfg, device));
      while (!igtb::app::stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        monitor.poll();
      }
      spdlog::info("stopping");
      bridge.stop();
      const auto s = bridge.stats();
      spdlog::info("stopped: {} frames in, {} processed, {} dropped busy, {} failed{}{}{}{}", s.frames_in, s.processed,
                   s.dropped, s.failed, s.ignored ? fmt::format(", {} of other IMAGE devices ignored", s.ignored) : "",
                   s.unsupported ? fmt::format(", {} IMAGEs the pipeline cannot take", s.unsupported) : "",
                   s.relay.malformed ? fmt::format(", {} malformed messages dropped", s.relay.malformed) : "",
                   device == "cpu" ? std::string()
                                   : fmt::format(", {} received page-locked, {} not (copied once more)",
                                                 s.page_locked, s.not_page_locked));
      return 0;
    }
    igtb::Relay relay(igtb::relay_options(cfg));
    relay.start();
    igtb::RelayStats before = relay.stats();
    every_interval([&](double dt) {
      const igtb::RelayStats now = relay.stats();
      spdlog::info("{}", igtb::relay_summary(now, before, dt));
      before = now;
    });
    spdlog::info("stopping");
    relay.stop();
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 3;
  }
}
