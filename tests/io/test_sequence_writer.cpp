#include "../support/catch.hpp"

#include <filesystem>

#include "io/sequence.hpp"
#include "io/sequence_writer.hpp"
#include "test_util.hpp"

using namespace igtb;
using namespace igtb::io;

TEST_CASE("a PLUS recording written back and read again is the same sequence, raw and zlib") {
  const Sequence spine = read_sequence(test::data_path("SpinePhantomFreehand.igs.mha"));
  for (const bool compress : {true, false}) {
    const auto path = (std::filesystem::temp_directory_path() / (compress ? "igtb_rt_z.igs.mha" : "igtb_rt.igs.mha")).string();
    write_metaimage_sequence(path, spine, compress);
    const Sequence back = read_sequence(path);
    test::check_same(spine, back);
    CHECK(back.fields.at("UltrasoundImageOrientation") == "MFA");
    std::filesystem::remove(path);
  }
}

TEST_CASE("geometry, invalid frames and odd fields survive; bad sequences are refused") {
  Sequence s;
  s.frame_dims = {3, 2, 1};
  s.scalar = ScalarType::Int16;
  s.spacing = {0.25, 0.5, 1};
  s.origin = {-10, 20.5, 3};
  s.direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  s.frames.resize(2);
  s.frames[0].timestamp = 1.5;
  s.frames[1].timestamp = 1.5 + 1.0 / 3.0;
  s.frames[1].image_valid = false;
  s.frames[0].fields["Comment"] = "needle in";
  TrackedTransform t;
  t.name = "ProbeToTracker";
  for (std::size_t i = 0; i < 16; ++i) t.matrix[i] = double(i) / 7.0;
  t.status = "INVALID";
  s.frames[1].transforms.push_back(t);
  s.pixels.resize(s.frame_bytes() * 2);
  for (std::size_t i = 0; i < s.pixels.size(); ++i) s.pixels[i] = std::uint8_t(i * 37);
  const auto path = (std::filesystem::temp_directory_path() / "igtb_geom.igs.mha").string();
  write_metaimage_sequence(path, s);
  test::check_same(s, read_sequence(path));

  s.pixels.pop_back();
  CHECK_THROWS_WITH(write_metaimage_sequence(path, s), Catch::Contains(path) && Catch::Contains("pixel bytes"));
  s.pixels.push_back(0);
  s.frames[0].fields["Bad"] = "two\nlines";
  CHECK_THROWS_WITH(write_metaimage_sequence(path, s), Catch::Contains("line break"));
  CHECK_THROWS_WITH(write_metaimage_sequence("/nonexistent/dir/x.mha", Sequence{}), Catch::Contains("at least one frame"));
  s.frames[0].fields.erase("Bad");
  CHECK_THROWS_WITH(write_metaimage_sequence("/nonexistent/dir/x.mha", s), Catch::Contains("cannot open for writing"));
  std::filesystem::remove(path);
}
