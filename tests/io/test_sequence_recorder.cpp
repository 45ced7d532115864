#include "../support/catch.hpp"

#include <filesystem>
#include <fstream>

#include <zlib.h>

#include "io/sequence.hpp"
#include "io/sequence_recorder.hpp"
#include "test_util.hpp"

using namespace igtb;
using namespace igtb::io;

namespace {

/// The first `n` frames of `s` (metadata and pixels).
Sequence first_frames(const Sequence& s, std::size_t n) {
  Sequence out = s;
  out.frames.resize(n);
  out.pixels.resize(n * s.frame_bytes());
  return out;
}


}  // namespace

TEST_CASE("a recording streamed frame by frame reads back as the same sequence, raw and zlib") {
  const Sequence spine = read_sequence(test::data_path("SpinePhantomFreehand.igs.mha"));
  REQUIRE(spine.frames.size() >= 8);
  for (const bool compress : {true, false}) {
    test::TempDir dir;
    const std::string base = dir.file("spine");
    SequenceRecorder rec(base, spine, compress);
    CHECK(rec.accepts(spine.frame_dims, spine.components, spine.scalar));
    CHECK_FALSE(rec.accepts({spine.frame_dims[0] + 1, spine.frame_dims[1], 1}, spine.components, spine.scalar));
    CHECK_FALSE(rec.accepts(spine.frame_dims, 3, spine.scalar));
    for (std::size_t i = 0; i < spine.frames.size(); ++i) {
      rec.append(spine.frame_pixels(i), spine.frame_bytes(), spine.frames[i]);
      if (i == 4) {
        // Mid-recording (zlib stream not finished): the files are a valid sequence of 5 frames.
        rec.write_header();
        test::check_same(read_sequence(base + ".igs.mhd"), first_frames(spine, 5));
      }
    }
    rec.close();
    INFO("compress " << compress);
    CHECK(rec.header_path() == base + ".igs.mhd");
    CHECK(rec.data_path() == base + (compress ? ".igs.zraw" : ".igs.raw"));
    CHECK(std::filesystem::file_size(rec.data_path()) == rec.data_bytes());
    if (!compress) CHECK(rec.data_bytes() == spine.pixels.size());
    test::check_same(read_sequence(rec.header_path()), spine);
    CHECK_FALSE(std::filesystem::exists(rec.header_path() + ".tmp"));
  }
}

TEST_CASE("the recorder refuses frames of the wrong size and leaves nothing for an empty recording") {
  const Sequence spine = read_sequence(test::data_path("SpinePhantomFreehand.igs.mha"));
  test::TempDir dir;
  {
    SequenceRecorder rec(dir.file("empty"), spine);
    CHECK_THROWS_AS(rec.append(spine.frame_pixels(0), spine.frame_bytes() - 1, spine.frames[0]), SequenceError);
    rec.close();
    rec.close();  // idempotent
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("empty.igs.mhd")));
  CHECK_FALSE(std::filesystem::exists(dir.file("empty.igs.zraw")));
  CHECK_THROWS_AS(SequenceRecorder(dir.file("no/such/dir/x"), spine), SequenceError);
}

TEST_CASE("a zlib stream longer than the header's size is an error, a flushed unfinished one is not") {
  test::TempDir dir;
  const std::string header = "ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n"
                             "CompressedData = True\nElementDataFile = LOCAL\n";
  const auto deflated = [](std::size_t bytes, int flush) {
    std::string in(bytes, '\x07'), out(bytes + 64, '\0');
    z_stream z{};
    REQUIRE(deflateInit(&z, Z_BEST_SPEED) == Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, flush);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    return out;
  };
  const Sequence ok = read_sequence(dir.write("flushed.mha", header + deflated(8, Z_FULL_FLUSH)));
  CHECK(ok.pixels == std::vector<std::uint8_t>(8, 7));
  try {
    read_sequence(dir.write("long.mha", header + deflated(9, Z_FINISH)));
    FAIL("no error");
  } catch (const SequenceError& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("holds more than the expected 8 bytes"));
  }
}
