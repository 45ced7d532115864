// OpenIGTLink device names as the bridge uses them: the one spelling of the
// protocol's 20-byte limit, and the naming rule for the outputs of several
// image streams (lanes). The config checks a file with these, the bridge
// checks the options it is given with the same functions.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace igtb {

/// The header's device-name field (OpenIGTLink: IGTL_HEADER_NAME_SIZE, 20
/// bytes, no terminator needed).
constexpr std::size_t kDeviceNameMax = 20;

/// Lane `lane`'s (from 0) name for the output `base` when `lanes` image
/// streams run: `base` itself for one, `base_<lane + 1>` for several.
std::string lane_output_name(const std::string& base, std::size_t lane, std::size_t lanes);

/// Why these IMAGE devices and output names cannot run as one lane each
/// ("" if they can): a device listed twice, or an output name that goes
/// over kDeviceNameMax once lane_output_name suffixes it. `outputs` pairs a
/// name for the message with the output's base name.
std::string lane_names_problem(const std::vector<std::string>& image_devices,
                               const std::vector<std::pair<std::string, std::string>>& outputs);

}  // namespace igtb
