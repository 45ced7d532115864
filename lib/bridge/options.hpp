// The daemon's configuration turned into the relay's options.
#pragma once

#include "bridge/relay.hpp"
#include "config/config.hpp"

namespace igtb {

RelayOptions relay_options(const config::BridgeConfig& cfg);

}  // namespace igtb
