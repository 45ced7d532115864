// The daemon's configuration turned into the relay's options.
#pragma once

#include "bridge/inference_bridge.hpp"
#include "bridge/monitor.hpp"
#include "bridge/health.hpp"
#include "bridge/relay.hpp"
#include "bridge/web_monitor.hpp"
#include "config/config.hpp"
#include "pipeline/pipeline.hpp"

namespace igtb {

RelayOptions relay_options(const config::BridgeConfig& cfg);
PipelineOptions pipeline_options(const config::BridgeConfig& cfg);
/// How many pipelines the daemon runs: one per listed IMAGE device when two
/// or more are listed (InferenceBridge's lanes), else one.
std::size_t pipeline_count(const config::BridgeConfig& cfg);
/// The options of pipeline `index` (< pipeline_count): pipeline_options with
/// its device from models.stream_devices where that is set.
PipelineOptions stream_pipeline_options(const config::BridgeConfig& cfg, std::size_t index);
InferenceOptions inference_options(const config::BridgeConfig& cfg);
/// `model_device`: where the models actually run (e.g. "cuda:0").
MonitorOptions monitor_options(const config::BridgeConfig& cfg, const std::string& model_device);
/// The monitoring endpoint's options (http.*); `version` as --version says it.
WebOptions web_options(const config::BridgeConfig& cfg, const std::string& model_device, const std::string& version);
HealthOptions health_options(const config::BridgeConfig& cfg);

}  // namespace igtb
