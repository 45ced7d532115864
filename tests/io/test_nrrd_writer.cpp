#include "../support/catch.hpp"

#include <cmath>
#include <cstring>

#include "io/nrrd_reader.hpp"
#include "io/nrrd_writer.hpp"
#include "io/sequence.hpp"
#include "test_util.hpp"

using namespace igtb;
using namespace igtb::io;
using Catch::Matchers::Contains;

namespace {

template <typename T>
std::vector<T> ramp(std::size_t n, double scale, double offset) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(offset + scale * static_cast<double>(i));
  return v;
}

double norm(const std::array<double, 3>& v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

/// The written geometry comes back as spacing x unit direction columns.
void check_geometry(const Sequence& s, const NrrdImage& img) {
  for (std::size_t c = 0; c < 3; ++c) {
    INFO("axis " << c);
    const double spacing = norm(img.directions[c]);
    CHECK(s.spacing[c] == Approx(spacing).epsilon(1e-14));
    for (std::size_t r = 0; r < 3; ++r)
      CHECK(s.direction[r * 3 + c] == Approx(img.directions[c][r] / spacing).margin(1e-15));
    CHECK(s.origin[c] == img.origin[c]);
  }
}

}  // namespace

TEST_CASE("write_nrrd -> read_nrrd round trip: oblique int16 volume", "[io][nrrd_writer]") {
  test::TempDir dir;
  const auto pixels = ramp<std::int16_t>(5 * 4 * 3, -97.0, 1000.0);
  NrrdImage img;
  img.dims = {5, 4, 3};
  img.scalar = ScalarType::Int16;
  const double c = std::cos(0.3), s = std::sin(0.3);
  img.directions = {{{0.7 * c, 0.7 * s, 0}, {-0.6 * s, 0.6 * c, 0}, {0, 0, 2.5}}};
  img.origin = {-12.5, 30.125, 7.1};
  img.data = pixels.data();
  img.key_values = {{"Description", "line one\nline two, C:\\dir"}, {"ultrasound image orientation", "MF"}};
  const std::string path = dir.file("volume.nrrd");
  write_nrrd(path, img);

  const std::string text = test::read_text(path);
  CHECK_THAT(text, Catch::Matchers::StartsWith("NRRD0004\n"));
  CHECK_THAT(text, Contains("space: right-anterior-superior\n"));
  CHECK_THAT(text, Contains("kinds: domain domain domain\n"));
  CHECK_THAT(text, Contains("endian: little\n"));
  CHECK_THAT(text, Contains("encoding: raw\n"));

  const Sequence r = read_sequence(path);
  REQUIRE(r.frames.size() == 1);
  CHECK(r.frame_dims == img.dims);
  CHECK(r.components == 1);
  CHECK(r.scalar == ScalarType::Int16);
  REQUIRE(r.pixels.size() == pixels.size() * 2);
  CHECK(std::memcmp(r.pixels.data(), pixels.data(), r.pixels.size()) == 0);
  check_geometry(r, img);
  CHECK(r.fields.at("Description") == "line one\nline two, C:\\dir");
  CHECK(r.fields.at("ultrasound image orientation") == "MF");
  CHECK(r.fields.at("space") == "right-anterior-superior");
}

TEST_CASE("write_nrrd -> read_nrrd round trip: 2D RGB and float64", "[io][nrrd_writer]") {
  test::TempDir dir;
  SECTION("RGB uint8, k = 1") {
    const auto pixels = ramp<std::uint8_t>(3 * 7 * 2, 1.0, 0.0);
    NrrdImage img;
    img.dims = {7, 2, 1};
    img.components = 3;
    img.directions = {{{0, -0.25, 0}, {0.5, 0, 0}, {0, 0, 1}}};
    img.data = pixels.data();
    const std::string path = dir.file("rgb.nrrd");
    write_nrrd(path, img);
    CHECK_THAT(test::read_text(path), Contains("kinds: vector domain domain domain\n"));
    CHECK_THAT(test::read_text(path), Contains("sizes: 3 7 2 1\n"));
    const Sequence r = read_nrrd(path);
    REQUIRE(r.frames.size() == 1);
    CHECK(r.components == 3);
    CHECK(r.frame_dims == img.dims);
    CHECK(r.pixels == pixels);
    check_geometry(r, img);
  }
  SECTION("float64 keeps every bit") {
    std::vector<double> pixels = {0.1, -1e300, 3.0e-310, 1.0 / 3.0, -0.0, 42.0};
    NrrdImage img;
    img.dims = {3, 2, 1};
    img.scalar = ScalarType::Float64;
    img.directions = {{{0.1, 0, 0}, {0, 0.2, 0}, {0, 0, 0.3}}};
    img.origin = {0.1, 0.2, 0.3};
    img.data = pixels.data();
    const std::string path = dir.file("double.nrrd");
    write_nrrd(path, img);
    const Sequence r = read_nrrd(path);
    REQUIRE(r.pixels.size() == sizeof(double) * pixels.size());
    CHECK(std::memcmp(r.pixels.data(), pixels.data(), r.pixels.size()) == 0);
    check_geometry(r, img);
  }
}

TEST_CASE("write_nrrd reports bad input and I/O failures with the path", "[io][nrrd_writer]") {
  test::TempDir dir;
  const std::uint8_t byte = 7;
  NrrdImage img;
  img.data = &byte;
  const std::string missing_dir = dir.file("no/such/dir/x.nrrd");
  CHECK_THROWS_WITH(write_nrrd(missing_dir, img), Contains(missing_dir));
  CHECK_THROWS_AS(write_nrrd(missing_dir, img), std::runtime_error);

  NrrdImage empty = img;
  empty.data = nullptr;
  CHECK_THROWS_AS(write_nrrd(dir.file("a.nrrd"), empty), std::invalid_argument);
  NrrdImage zero = img;
  zero.dims = {0, 1, 1};
  CHECK_THROWS_AS(write_nrrd(dir.file("b.nrrd"), zero), std::invalid_argument);
  NrrdImage bad_key = img;
  bad_key.key_values = {{"a:=b", "c"}};
  CHECK_THROWS_WITH(write_nrrd(dir.file("c.nrrd"), bad_key), Contains("c.nrrd"));
}
