// Shared by the config tests: a ConfigError's message from a call, a YAML
// text or --set overrides ("<no error>" where there is none).
#pragma once

#include "config/config.hpp"

#include <functional>
#include <string>
#include <vector>

namespace igtb::config::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

inline std::string parse_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return error_of([&] { parse_config(yaml, "t.yaml", overrides); });
}

inline std::string set_error(const std::vector<std::string>& overrides) {
  return error_of([&] { default_config(overrides); });
}

}  // namespace igtb::config::test
