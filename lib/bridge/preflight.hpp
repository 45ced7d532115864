// What a run would refuse after start-up, checked before any socket serves:
// --check-config says OK only when the run would get past these.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace igtb {

/// One line per problem (none: empty): output.port (and input.port in listen
/// mode) cannot be bound on their bind addresses; kpi.path cannot be written;
/// record.dir cannot be created or written. Each line names the key and the
/// absolute path or address it tried. Binds and releases the ports; writes
/// nothing.
std::vector<std::string> preflight_problems(const config::BridgeConfig& cfg);

/// What a run would do without but still run: http.port taken (pipeline
/// mode; the bridge then runs without its monitoring endpoint). One line each.
std::vector<std::string> preflight_warnings(const config::BridgeConfig& cfg);

}  // namespace igtb
