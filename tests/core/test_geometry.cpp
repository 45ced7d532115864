#include "core/geometry.hpp"

#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("wire matrix uses the image centre; Slicer's inverse gives back the corner") {
  // 820x616 frame, spacing 0.2 x 0.3, rotated 90 degrees about S, corner at (10, 20, 30).
  const Matrix4d m = {0, -0.3, 0, 10,   //
                      0.2, 0, 0, 20,    //
                      0, 0, 1.0, 30,    //
                      0, 0, 0, 1};
  const std::array<std::uint16_t, 3> dims{820, 616, 1};
  const auto w = wire_matrix_from_ijk_to_ras(m, dims);
  CHECK(w[0] == 0.0f);
  CHECK(w[1] == 0.2f);
  CHECK(w[3] == -0.3f);
  CHECK(w[9] == Approx(10 - 0.3 * 307.5));
  CHECK(w[10] == Approx(20 + 0.2 * 409.5));
  CHECK(w[11] == Approx(30));
  const auto back = ijk_to_ras_from_wire(w, dims);
  for (int i = 0; i < 16; ++i) CHECK(back[i] == Approx(m[i]).margin(1e-4));
}

TEST_CASE("image spacing is the length of each matrix column; pixel bytes count the subvolume") {
  ImageInfo info;
  info.matrix = {0, 0.2f, 0, -0.3f, 0, 0, 0, 0, 1.5f, 7, 8, 9};
  const auto s = image_spacing(info);
  CHECK(s[0] == Approx(0.2));
  CHECK(s[1] == Approx(0.3));
  CHECK(s[2] == Approx(1.5));
  info.dims = {10, 20, 3};
  info.subvolume_size = {10, 20, 1};
  info.components = 3;
  info.scalar = ScalarType::Int16;
  CHECK(info.pixel_bytes() == 10u * 20u * 1u * 3u * 2u);
}
