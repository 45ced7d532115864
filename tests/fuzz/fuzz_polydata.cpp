// Fuzz target: a POLYDATA content through decode_polydata, then the geometry
// (points and cells) through encode -> decode. Documented exception: ProtocolError.
// Attributes are left out of the round trip: the wire layout pads them (per-cell
// scalars travel as 9 floats a tuple), so they do not come back identical.
#include <cstring>

#include "fuzz_util.hpp"
#include "transport/polydata_codec.hpp"

using namespace igtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    PolyData pd = decode_polydata(fuzz::message_from_content("POLYDATA", data, size));
    const std::size_t np = pd.points.size();
    for (const auto* cells : {&pd.vertices, &pd.lines, &pd.polygons})
      for (const auto& c : *cells)
        for (auto id : c) IGTB_FUZZ_CHECK(id < np);
    for (const auto& a : pd.attributes) IGTB_FUZZ_CHECK(a.components > 0 && a.values.size() % a.components == 0);
    pd.attributes.clear();
    Envelope env;
    env.type = "POLYDATA";
    env.device = "Fuzz";
    const PolyData back = decode_polydata(fuzz::redecode(encode_polydata(env, pd)));
    IGTB_FUZZ_CHECK(back.points.size() == np);
    IGTB_FUZZ_CHECK(np == 0 || std::memcmp(back.points.data(), pd.points.data(), np * sizeof pd.points[0]) == 0);
    IGTB_FUZZ_CHECK(back.vertices == pd.vertices && back.lines == pd.lines && back.polygons == pd.polygons);
  } catch (const ProtocolError&) {
  }
  return 0;
}
