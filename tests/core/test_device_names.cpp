#include "core/device_names.hpp"
#include "core/precision.hpp"

#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("one lane keeps its output names; several get _1, _2 ...") {
  CHECK(lane_output_name("BoneMask", 0, 1) == "BoneMask");
  CHECK(lane_output_name("BoneMask", 0, 0) == "BoneMask");
  CHECK(lane_output_name("BoneMask", 0, 2) == "BoneMask_1");
  CHECK(lane_output_name("BoneMask", 11, 12) == "BoneMask_12");
}

TEST_CASE("lane names: a device listed twice, or a name that outgrows OpenIGTLink's 20 characters") {
  const std::vector<std::pair<std::string, std::string>> outputs{{"output.mask_device", "BoneMask"}};
  CHECK(lane_names_problem({"ProbeA", "ProbeB"}, outputs).empty());
  CHECK(lane_names_problem({"ProbeA", "ProbeB", "ProbeA"}, outputs) ==
        "IMAGE device 'ProbeA' is listed twice (one pipeline per device)");
  // 18 characters + "_2" fits exactly; 19 + "_2" does not, and 19 + "_10" neither.
  CHECK(lane_names_problem({"A", "B"}, {{"m", std::string(18, 'x')}}).empty());
  const std::string why = lane_names_problem({"A", "B"}, {{"output.state_device", std::string(19, 'x')}});
  CHECK(why.find("output.state_device '" + std::string(19, 'x') + "' is too long for 2 IMAGE devices") == 0);
  CHECK(why.find("named '" + std::string(19, 'x') + "_2'") != std::string::npos);
  CHECK(why.find("at most 20 characters") != std::string::npos);
  std::vector<std::string> ten;
  for (int i = 0; i < 10; ++i) ten.push_back("P" + std::to_string(i));
  CHECK(!lane_names_problem(ten, {{"m", std::string(18, 'x')}}).empty());
  // One lane: the name itself must fit.
  CHECK(lane_names_problem({}, {{"m", std::string(kDeviceNameMax, 'x')}}).empty());
  CHECK(lane_names_problem({}, {{"m", std::string(kDeviceNameMax + 1, 'x')}}).find("m '") == 0);
}

TEST_CASE("half precisions need CUDA; fp32 runs anywhere") {
  CHECK(precision_problem("fp32", "cpu").empty());
  CHECK(precision_problem("fp16", "cuda").empty());
  CHECK(precision_problem("bf16", "cuda:1").empty());
  CHECK(precision_problem("fp16", "cpu") == "fp16 needs a CUDA device; use fp32 on the CPU");
  CHECK(precision_problem("bf16", "cpu") == "bf16 needs a CUDA device; use fp32 on the CPU");
}
