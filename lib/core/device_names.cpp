#include "core/device_names.hpp"

#include <algorithm>

namespace igtb {

std::string lane_output_name(const std::string& base, std::size_t lane, std::size_t lanes) {
  return lanes < 2 ? base : base + "_" + std::to_string(lane + 1);
}

std::string lane_names_problem(const std::vector<std::string>& image_devices,
                               const std::vector<std::pair<std::string, std::string>>& outputs) {
  const std::size_t n = image_devices.size();
  for (std::size_t i = 0; i < n; ++i)
    if (std::find(image_devices.begin(), image_devices.begin() + std::ptrdiff_t(i), image_devices[i]) !=
        image_devices.begin() + std::ptrdiff_t(i))
      return "IMAGE device '" + image_devices[i] + "' is listed twice (one pipeline per device)";
  for (const auto& [what, base] : outputs) {
    const std::string longest = lane_output_name(base, n == 0 ? 0 : n - 1, n);
    if (longest.size() <= kDeviceNameMax) continue;
    const std::string limit = "at most " + std::to_string(kDeviceNameMax) + " characters (OpenIGTLink's device name)";
    if (n < 2) return what + " '" + base + "' is too long: " + limit;
    return what + " '" + base + "' is too long for " + std::to_string(n) +
           " IMAGE devices: each pipeline's outputs are named '" + longest + "' and the like, " + limit;
  }
  return {};
}

}  // namespace igtb
