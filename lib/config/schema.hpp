#pragma once
// The schema of igtbridge's YAML (internal to lib/config): one row per key
// and the checks across keys, in schema.cpp. Adding a key: a member in
// config.hpp, a row in schema.cpp, the key in config/igtbridge.yaml.

#include "config/rules.hpp"

namespace igtb::config::schema {

/// The table. Built once; throws std::logic_error if the table is malformed.
const Schema& schema();

}  // namespace igtb::config::schema
