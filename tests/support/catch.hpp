// Catch2 v2 for the tests. LibTorch's headers define a CHECK macro of their
// own (glog's); the tests mean Catch's. Include this after every other
// header. No include guard on purpose: in a unity build (scripts/sanitize.sh
// builds that way) several test sources share one translation unit and
// <catch2/catch.hpp> is read once, so each source must set CHECK back to
// Catch's after whatever its own headers defined.
#undef CHECK
#include <catch2/catch.hpp>
#ifndef CHECK
#define CHECK(...) INTERNAL_CATCH_TEST("CHECK", Catch::ResultDisposition::ContinueOnFailure, __VA_ARGS__)
#endif
