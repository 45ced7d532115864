// What igtbridge does with a configuration, step by step, so that its main
// is wiring only: where the configuration comes from, the start-up lines,
// the pipelines (models loaded and probed), then the bridge or the relay run
// until asked to stop. Each step throws on failure; the app turns that into
// one log line and its exit code.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bridge/inference_bridge.hpp"
#include "config/config.hpp"
#include "pipeline/pipeline.hpp"

namespace igtb {

/// Where a Debian service looks for its configuration.
constexpr const char* kSystemConfigPath = "/etc/igtbridge/igtbridge.yaml";

/// The configuration file to read: `given` where set, else kSystemConfigPath
/// where that exists, else "" (the built-in defaults).
std::string config_source(const std::string& given);

/// Reads `path` ("" = the defaults) with the overrides. Throws ConfigError.
config::BridgeConfig read_config(const std::string& path, const std::vector<std::string>& overrides);

/// "LibTorch <version>, <devices>": what --version and the start-up line add
/// to the program's version.
std::string torch_text();

/// The start-up lines: `version` and the mode, and a warning for each socket
/// that other machines can reach.
void log_startup(const config::BridgeConfig& cfg, const std::string& version);

/// The configuration's pipelines (none in relay mode), models loaded and
/// probed, one log line each. Throws on a model that does not load or fit.
std::vector<std::unique_ptr<Pipeline>> load_pipelines(const config::BridgeConfig& cfg);

/// The bridge over these pipelines, nothing served yet. Throws where the
/// configuration and the pipelines do not fit together, or kpi.path or
/// record.dir cannot be written.
std::unique_ptr<InferenceBridge> make_bridge(const config::BridgeConfig& cfg,
                                             std::vector<std::unique_ptr<Pipeline>> pipelines);

/// How a running bridge is asked to reload (bridge/reload.hpp).
struct ReloadSource {
  std::function<bool()> requested;             ///< true once per request (SIGHUP, the file changed)
  std::function<config::BridgeConfig()> read;  ///< the configuration anew; throws ConfigError
};

/// Runs the bridge until `stop()` is true, the monitor's status and summary
/// lines on the way, the monitoring endpoint (http.port) and the health
/// (systemd's READY and, while healthy, WATCHDOG notifications), reloading
/// when `reload` asks, and logs the closing counts. Throws on a socket error
/// (the endpoint's port included). `version`: what --version says.
void run_bridge(InferenceBridge& bridge, const config::BridgeConfig& cfg, const std::function<bool()>& stop,
                const ReloadSource& reload = {}, const std::string& version = "");

/// Relay mode: forwards until `stop()` is true, a summary line each interval.
void run_relay(const config::BridgeConfig& cfg, const std::function<bool()>& stop);

/// The closing line of a bridge run: counts, and page-locked receives off the CPU.
std::string stop_summary(const InferenceStats& s, const std::string& model_device);

}  // namespace igtb
