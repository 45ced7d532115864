// Fuzz target: config::parse_config on the input as YAML text, and the
// documented round trip parse_config(to_yaml(c)) == c for every valid c.
// Documented exception: config::ConfigError.
#include <string>

#include "config/config.hpp"
#include "fuzz_util.hpp"

using namespace igtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  config::BridgeConfig c;
  try {
    c = config::parse_config(text, "fuzz.yaml");
  } catch (const config::ConfigError&) {
    return 0;
  }
  const std::string yaml = config::to_yaml(c);
  try {
    IGTB_FUZZ_CHECK(config::parse_config(yaml, "to_yaml") == c);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "to_yaml output does not parse: %s\n%s\n", e.what(), yaml.c_str());
    IGTB_FUZZ_CHECK(!"to_yaml(parse_config(x)) is valid");
  }
  return 0;
}
