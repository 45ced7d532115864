// The daemon's configuration turned into the relay's options.
#pragma once

#include "bridge/inference_bridge.hpp"
#include "bridge/relay.hpp"
#include "config/config.hpp"
#include "pipeline/pipeline.hpp"

namespace igtb {

RelayOptions relay_options(const config::BridgeConfig& cfg);
PipelineOptions pipeline_options(const config::BridgeConfig& cfg);
InferenceOptions inference_options(const config::BridgeConfig& cfg);

}  // namespace igtb
