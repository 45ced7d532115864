#include "../support/catch.hpp"

#include <cstring>
#include <sstream>
#include <string_view>

#include "io/sequence.hpp"
#include "test_util.hpp"

using namespace igtb;
using namespace igtb::io;
using test::data_path;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

struct Expected {
  std::string name;
  std::size_t frames;
  std::array<std::uint32_t, 3> dims;
  std::uint32_t components;
  std::string scalar;
  std::string checksum;
};

std::vector<Expected> read_expected() {
  std::istringstream in(test::read_text(data_path("expected.txt")));
  std::vector<Expected> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expected e;
    fields >> e.name >> e.frames >> e.dims[0] >> e.dims[1] >> e.dims[2] >> e.components >> e.scalar >> e.checksum;
    REQUIRE(fields);
    out.push_back(e);
  }
  return out;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

/// The formulas of scripts/make_test_data.py.
double formula(ScalarType t, long f, long i, long j, long c) {
  switch (t) {
    case ScalarType::UInt8: return static_cast<double>((53 * f + 17 * j + 5 * i + 80 * c) % 256);
    case ScalarType::Int16: return static_cast<double>((7919 * f + 613 * j + 97 * i + 31 * c) % 65536 - 32768);
    case ScalarType::Float32: return 100.0 * f + 10.0 * j + i + 0.5 * c - 0.25;
    default: FAIL("no formula for " << scalar_name(t)); return 0;
  }
}

double pixel(const Sequence& s, std::size_t f, std::size_t i, std::size_t j, std::size_t c) {
  const std::size_t index = ((j * s.frame_dims[0] + i) * s.components + c);
  const std::uint8_t* p = s.frame_pixels(f) + index * scalar_size(s.scalar);
  switch (s.scalar) {
    case ScalarType::UInt8: return *p;
    case ScalarType::Int16: { std::int16_t v; std::memcpy(&v, p, 2); return v; }
    case ScalarType::Float32: { float v; std::memcpy(&v, p, 4); return v; }
    default: FAIL("unexpected scalar"); return 0;
  }
}

/// Every pixel of a generated file equals its formula.
void check_formula(const Sequence& s) {
  REQUIRE(s.frame_dims[2] == 1);
  std::size_t mismatches = 0;
  for (std::size_t f = 0; f < s.frames.size(); ++f)
    for (std::size_t j = 0; j < s.frame_dims[1]; ++j)
      for (std::size_t i = 0; i < s.frame_dims[0]; ++i)
        for (std::size_t c = 0; c < s.components; ++c)
          if (pixel(s, f, i, j, c) != formula(s.scalar, long(f), long(i), long(j), long(c))) ++mismatches;
  CHECK(mismatches == 0);
}

const TrackedTransform& transform(const SequenceFrame& f, std::string_view name) {
  for (const auto& t : f.transforms)
    if (t.name == name) return t;
  FAIL("no transform " << name);
  throw std::logic_error("unreachable");
}

/// The SequenceError message of reading path (fails the test when none).
std::string error_of(const std::string& path) {
  try {
    read_sequence(path);
  } catch (const SequenceError& e) {
    return e.what();
  }
  FAIL("no SequenceError reading " << path);
  return {};
}

void check_error(const std::string& path, const std::string& field, const std::string& detail = "") {
  const std::string msg = error_of(path);
  INFO(msg);
  CHECK_THAT(msg, StartsWith(path + ": "));
  CHECK_THAT(msg, Contains(field));
  if (!detail.empty()) CHECK_THAT(msg, Contains(detail));
}

std::string mha(const std::string& header_lines) {
  return "ObjectType = Image\n" + header_lines + "ElementDataFile = LOCAL\n";
}

}  // namespace

TEST_CASE("every file of expected.txt reads with the expected shape and pixel checksum", "[io][sequence]") {
  const auto expected = read_expected();
  REQUIRE(expected.size() == 7);
  for (const auto& e : expected) {
    INFO(e.name);
    const Sequence s = read_sequence(data_path(e.name));
    CHECK(s.path == data_path(e.name));
    CHECK(s.frames.size() == e.frames);
    CHECK(s.frame_dims == e.dims);
    CHECK(s.components == e.components);
    CHECK(std::string(scalar_name(s.scalar)) == e.scalar);
    REQUIRE(s.pixels.size() == e.frames * s.frame_bytes());
    CHECK(hex64(test::fnv1a64(s.pixels.data(), s.pixels.size())) == e.checksum);
  }
}

TEST_CASE("generated files hold the formula values in host byte order", "[io][sequence]") {
  for (const char* name : {"synthetic_int16_msb.mha", "synthetic_single.mha", "synthetic_float32_zlib.mha",
                           "synthetic_rgb.nrrd", "synthetic_int16_gz.nrrd"}) {
    INFO(name);
    check_formula(read_sequence(data_path(name)));
  }
  // Big-endian int16 spot checks: values beyond one byte and negative ones.
  const Sequence s = read_sequence(data_path("synthetic_int16_msb.mha"));
  CHECK(pixel(s, 0, 0, 0, 0) == -32768);
  CHECK(pixel(s, 3, 6, 4, 0) == (7919 * 3 + 613 * 4 + 97 * 6) % 65536 - 32768);
  std::int16_t first = 0;
  std::memcpy(&first, s.pixels.data() + 2, 2);  // pixel (i = 1): -32768 + 97
  CHECK(first == -32671);
}

TEST_CASE("PLUS SpinePhantomFreehand.igs.mha", "[io][sequence][plus]") {
  const Sequence s = read_sequence(data_path("SpinePhantomFreehand.igs.mha"));
  REQUIRE(s.frames.size() == 21);
  CHECK(s.scalar == ScalarType::UInt8);
  CHECK(s.spacing == std::array<double, 3>{1, 1, 1});
  CHECK(s.direction == std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(s.fields.at("UltrasoundImageOrientation") == "MFA");
  CHECK(s.fields.count("Seq_Frame0000_Timestamp") == 0);
  CHECK(s.frames.front().timestamp == Approx(215.102186).epsilon(1e-12));
  CHECK(s.frames.back().timestamp == Approx(216.947186).epsilon(1e-12));
  for (const auto& f : s.frames) {
    CHECK(f.image_valid);
    REQUIRE(f.transforms.size() == 3);
    CHECK(f.fields.empty());
  }
  const auto& first = s.frames.front().transforms;
  CHECK(first[0].name == "ProbeToTracker");
  CHECK(first[1].name == "ReferenceToTracker");
  CHECK(first[2].name == "StylusToTracker");
  CHECK(first[0].matrix[0] == 0.231245);
  CHECK(first[0].matrix[3] == 172.641);
  CHECK(first[0].matrix[11] == -22.0262);
  CHECK(first[0].matrix[15] == 1);
  CHECK(first[0].valid());
  CHECK(s.frame_pixels(20) == s.pixels.data() + 20 * 820 * 616);
}

TEST_CASE("PLUS NwirePhantomFreehand.igs.nrrd", "[io][sequence][plus]") {
  const Sequence s = read_sequence(data_path("NwirePhantomFreehand.igs.nrrd"));
  REQUIRE(s.frames.size() == 97);
  CHECK(s.spacing == std::array<double, 3>{1, 1, 1});
  CHECK(s.origin == std::array<double, 3>{0, 0, 0});
  CHECK(s.direction == std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(s.fields.at("ultrasound image orientation") == "MFA");
  CHECK(s.fields.at("type") == "uint8");
  CHECK(s.frames.front().timestamp == Approx(345.627957).epsilon(1e-12));
  CHECK(s.frames.back().timestamp == Approx(355.783014).epsilon(1e-12));
  for (const auto& f : s.frames) {
    CHECK(f.image_valid);
    REQUIRE(f.transforms.size() == 3);
    CHECK(transform(f, "ProbeToTracker").valid());
    CHECK(transform(f, "ReferenceToTracker").valid());
    CHECK_FALSE(transform(f, "StylusToTracker").valid());
    CHECK(transform(f, "StylusToTracker").status == "INVALID");
    CHECK(f.fields.empty());
  }
  CHECK(s.frames[0].transforms[0].matrix[3] == -190.886);
  CHECK(s.frames[0].transforms[0].matrix[15] == 1);
}

TEST_CASE("big-endian int16 .mha: geometry, transforms and extra fields", "[io][sequence]") {
  const Sequence s = read_sequence(data_path("synthetic_int16_msb.mha"));
  REQUIRE(s.frames.size() == 4);
  CHECK(s.spacing[0] == 0.2);
  CHECK(s.spacing[1] == 0.3);
  CHECK(s.fields.at("BinaryDataByteOrderMSB") == "True");
  CHECK(s.frames[0].timestamp == 1.5);
  CHECK(s.frames[3].timestamp == 2.25);
  CHECK(s.frames[2].fields.at("ExtraInfo") == "frame-2");
  CHECK(s.frames[2].fields.size() == 1);
  const TrackedTransform& t = transform(s.frames[2], "ProbeToTracker");
  CHECK(t.matrix == std::array<double, 16>{1, 0, 0, 20, 0, 1, 0, 20, 0, 0, 1, 30, 0, 0, 0, 1});
  CHECK(t.valid());
}

TEST_CASE("single-frame NDims = 2 .mha with spacing, rotation and ImageToReference", "[io][sequence]") {
  const Sequence s = read_sequence(data_path("synthetic_single.mha"));
  REQUIRE(s.frames.size() == 1);
  CHECK(s.frame_dims == std::array<std::uint32_t, 3>{9, 6, 1});
  CHECK(s.spacing == std::array<double, 3>{0.5, 0.25, 1});
  CHECK(s.origin == std::array<double, 3>{10, -20, 0});
  // TransformMatrix = 0 1 -1 0: i runs along +y, j along -x.
  CHECK(s.direction == std::array<double, 9>{0, -1, 0, 1, 0, 0, 0, 0, 1});
  CHECK(s.frames[0].timestamp == 12.75);
  REQUIRE(s.frames[0].transforms.size() == 1);
  const TrackedTransform& t = s.frames[0].transforms[0];
  CHECK(t.name == "ImageToReference");
  CHECK(t.matrix[0] == 0.5);
  CHECK(t.matrix[3] == 10);
  CHECK(t.matrix[5] == 0.25);
  CHECK(t.matrix[11] == 30);
  CHECK(t.status == "OK");
}

TEST_CASE("compressed float32 .mha with two channels", "[io][sequence]") {
  const Sequence s = read_sequence(data_path("synthetic_float32_zlib.mha"));
  REQUIRE(s.frames.size() == 3);
  CHECK(s.components == 2);
  CHECK(s.scalar == ScalarType::Float32);
  CHECK(s.frame_bytes() == 6 * 4 * 2 * 4);
  CHECK(pixel(s, 2, 5, 3, 1) == 235.25f);
  CHECK(s.frames[2].timestamp == 102);
}

TEST_CASE("raw RGB .nrrd: components, statuses and geometry", "[io][sequence]") {
  const Sequence s = read_sequence(data_path("synthetic_rgb.nrrd"));
  REQUIRE(s.frames.size() == 3);
  CHECK(s.components == 3);
  CHECK(s.frame_dims == std::array<std::uint32_t, 3>{8, 6, 1});
  CHECK(s.spacing[0] == Approx(0.3));
  CHECK(s.spacing[1] == Approx(0.4));
  CHECK(s.spacing[2] == 1);
  CHECK(s.origin == std::array<double, 3>{1, 2, 3});
  CHECK(s.direction == std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(s.fields.at("ultrasound image orientation") == "MF");
  CHECK(s.frames[0].image_valid);
  CHECK_FALSE(s.frames[1].image_valid);
  CHECK(s.frames[2].image_valid);
  for (const auto& f : s.frames) {
    REQUIRE(f.transforms.size() == 2);
    CHECK(f.transforms[0].name == "ProbeToTracker");
    CHECK(f.transforms[0].valid());
    CHECK(f.transforms[1].name == "StylusToTracker");
    CHECK(f.transforms[1].status == "INVALID");
    CHECK_FALSE(f.transforms[1].valid());
  }
  CHECK(s.frames[2].transforms[0].matrix[3] == 2);
  CHECK(s.frames[2].transforms[0].matrix[7] == 4);
  CHECK(s.frames[2].transforms[0].matrix[11] == 6);
  CHECK(s.frames[1].timestamp == 20.5);
  CHECK(pixel(s, 1, 7, 5, 2) == (53 + 17 * 5 + 5 * 7 + 160) % 256);
}

TEST_CASE("gzip int16 .nrrd in a 2D space", "[io][sequence]") {
  const Sequence s = read_sequence(data_path("synthetic_int16_gz.nrrd"));
  REQUIRE(s.frames.size() == 5);
  CHECK(s.spacing[0] == Approx(0.2));
  CHECK(s.spacing[1] == Approx(0.3));
  CHECK(s.origin == std::array<double, 3>{5, 6, 0});
  CHECK(s.direction == std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(s.frames[4].timestamp == 11);
  CHECK(s.frames[4].transforms.empty());
  CHECK_THROWS_AS(s.frame_pixels(5), std::out_of_range);
}

TEST_CASE("other layouts: NDims = 4 .mha and a NRRD list axis marked only by 'none'", "[io][sequence]") {
  test::TempDir dir;
  std::string bytes(24, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  SECTION("3D frames") {
    const Sequence s = read_sequence(dir.write(
        "vol.mha", mha("NDims = 4\nDimSize = 2 2 2 3\nElementType = MET_UCHAR\nElementSpacing = 1 2 3 4\n"
                       "Seq_Frame0002_Timestamp = 9\n") + bytes));
    REQUIRE(s.frames.size() == 3);
    CHECK(s.frame_dims == std::array<std::uint32_t, 3>{2, 2, 2});
    CHECK(s.spacing == std::array<double, 3>{1, 2, 3});
    CHECK(s.frames[2].timestamp == 9);
    CHECK(s.frame_pixels(2)[7] == 23);
  }
  SECTION("NRRD without kinds") {
    const Sequence s = read_sequence(dir.write(
        "nokinds.nrrd", "NRRD0005\ntype: unsigned char\ndimension: 3\nsizes: 4 2 3\n"
                        "space directions: (0,2) (3,0) none\nencoding: raw\n\n" + bytes));
    REQUIRE(s.frames.size() == 3);
    CHECK(s.frame_dims == std::array<std::uint32_t, 3>{4, 2, 1});
    CHECK(s.spacing == std::array<double, 3>{2, 3, 1});
    // i along +y, j along +x, so k = i x j points along -z.
    CHECK(s.direction == std::array<double, 9>{0, 1, 0, 1, 0, 0, 0, 0, -1});
    CHECK(s.frame_pixels(1)[0] == 8);
  }
}

TEST_CASE("broken and unsupported files throw SequenceError naming file and field", "[io][sequence][errors]") {
  SECTION("files in tests/data") {
    check_error(data_path("broken_truncated.mha"), "DimSize", "truncated");
    check_error(data_path("broken_sizes.nrrd"), "sizes", "'10 abc 3'");
    check_error(data_path("no_such_file.mha"), "no such file");
    check_error(data_path("README.md"), "unknown sequence file extension");
  }
  test::TempDir dir;
  const std::string ok = "NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n";
  SECTION("MetaImage header fields") {
    check_error(dir.write("dims.mha", mha("NDims = 3\nDimSize = 820 abc\nElementType = MET_UCHAR\n")), "DimSize",
                "expected 3 positive integers, got '820 abc'");
    check_error(dir.write("zero.mha", mha("NDims = 3\nDimSize = 2 0 2\nElementType = MET_UCHAR\n")), "DimSize");
    check_error(dir.write("nodims.mha", mha("NDims = 3\nElementType = MET_UCHAR\n")), "DimSize", "missing");
    check_error(dir.write("type.mha", mha("NDims = 3\nDimSize = 2 2 2\nElementType = MET_LONG_LONG\n")),
                "ElementType", "MET_LONG_LONG");
    check_error(dir.write("notype.mha", mha("NDims = 3\nDimSize = 2 2 2\n") + std::string(8, 'x')), "ElementType");
    check_error(dir.write("ndims.mha", mha("NDims = 5\nDimSize = 2 2 2 2 2\nElementType = MET_UCHAR\n")), "NDims");
    check_error(dir.write("noend.mha", "NDims = 3\nDimSize = 2 2 2\n"), "ElementDataFile");
    check_error(dir.write("empty.mha", ""), "header", "the file is empty");
    check_error(dir.write("empty.nrrd", ""), "header", "the file is empty");
    check_error(dir.write("detached.mhd", "NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\nElementDataFile = x.raw\n"),
                "cannot open the data file", "x.raw");
    check_error(dir.write("up.mhd", "NDims = 3\nElementDataFile = ../x.raw\n"), "ElementDataFile", "'../x.raw'");
    check_error(dir.write("list.mhd", "NDims = 3\nElementDataFile = LIST\n"), "ElementDataFile", "LIST");
    check_error(dir.write("short.mha", mha(ok) + "1234567"), "DimSize", "expected 8 bytes");
  }
  SECTION("per-frame fields") {
    check_error(dir.write("index.mha", mha(ok + "Seq_Frame0002_Timestamp = 1\n") + std::string(8, 'x')),
                "Seq_Frame0002_Timestamp", "beyond the frame count 2");
    check_error(dir.write("matrix.mha", mha(ok + "Seq_Frame0001_ProbeToTrackerTransform = 1 0 0 0 1 0 0 0 1 0 0 0\n") +
                                            std::string(8, 'x')),
                "Seq_Frame0001_ProbeToTrackerTransform", "expected 16 numbers");
    check_error(dir.write("stamp.mha", mha(ok + "Seq_Frame0000_Timestamp = soon\n") + std::string(8, 'x')),
                "Seq_Frame0000_Timestamp", "'soon'");
  }
  SECTION("absurd sizes error before allocating") {
    const std::string huge = "NDims = 3\nDimSize = 1000000 1000000 1000\nElementType = MET_UCHAR\n";
    check_error(dir.write("huge.mha", mha(huge) + "xx"), "DimSize", "truncated");
    check_error(dir.write("hugez.mha", mha(huge + "CompressedData = True\n") + "xx"), "DimSize", "limit");
    check_error(dir.write("ratio.mha", mha("NDims = 3\nDimSize = 1000 1000 100\nElementType = MET_UCHAR\n"
                                           "CompressedData = True\n") + "xx"),
                "DimSize", "cannot hold");
    check_error(dir.write("overflow.mha", mha("NDims = 4\nDimSize = 4000000000 4000000000 4000000000 2\n"
                                              "ElementType = MET_DOUBLE\n")),
                "DimSize", "overflows");
  }
  SECTION("compressed data") {
    const std::string z = ok + "CompressedData = True\n";
    check_error(dir.write("zlib.mha", mha(z) + "this is not a zlib stream"), "CompressedData", "zlib");
    check_error(dir.write("csize.mha", mha(z + "CompressedDataSize = 500\n") + std::string(20, 'x')),
                "CompressedDataSize", "500 bytes");
  }
  SECTION("NRRD header fields") {
    const std::string base = "NRRD0004\ndimension: 3\nsizes: 2 2 2\nkinds: domain domain list\nencoding: raw\n";
    check_error(dir.write("magic.nrrd", "P5\n2 2\n"), "magic");
    check_error(dir.write("type.nrrd", base + "type: int64\n\n" + std::string(64, 'x')), "type", "int64");
    check_error(dir.write("notype.nrrd", base + "\n" + std::string(8, 'x')), "type", "missing");
    check_error(dir.write("kinds.nrrd", base + "type: uint8\nkinds: domain list\n\n" + std::string(8, 'x')), "kinds");
    check_error(dir.write("enc.nrrd", base + "type: uint8\nencoding: bzip2\n\n" + std::string(8, 'x')), "encoding",
                "bzip2");
    check_error(dir.write("detached.nrrd", base + "type: uint8\ndata file: x.raw\n"), "data file", "detached");
    check_error(dir.write("gz.nrrd", base + "type: uint8\nencoding: gzip\n\n" + "not gzip"), "encoding", "zlib");
    check_error(dir.write("short.nrrd", base + "type: uint16\n\n" + std::string(15, 'x')), "sizes", "truncated");
  }
}
