// What LibTorch this build runs on: version and the devices it can use.
// Logged at start-up so a log tells which build (CPU 1.13 / CUDA 2.x) ran.
#pragma once

#include <string>

namespace igtb {

std::string torch_version();
/// "cpu", or "cuda (N devices: <name of device 0>)".
std::string torch_devices();

}  // namespace igtb
