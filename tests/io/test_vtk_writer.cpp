#include "../support/catch.hpp"

#include <map>
#include <sstream>

#include "io/vtk_writer.hpp"
#include "test_util.hpp"

using namespace igtb;
using namespace igtb::io;
using Catch::Matchers::Contains;

namespace {

/// What a strict reading of a legacy ASCII POLYDATA file found.
struct VtkSummary {
  std::size_t points = 0;
  std::map<std::string, std::size_t> cells;       ///< VERTICES/LINES/POLYGONS -> cell count
  std::map<std::string, std::size_t> data_tuples;  ///< CELL_DATA/POINT_DATA -> tuples
  std::map<std::string, std::size_t> arrays;      ///< array name -> components
  std::vector<float> first_point;
};

/// Parses the file token by token, requiring every count to match exactly.
VtkSummary parse_vtk(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "# vtk DataFile Version 3.0");
  std::getline(in, line);  // title
  std::getline(in, line);
  REQUIRE(line == "ASCII");
  std::getline(in, line);
  REQUIRE(line == "DATASET POLYDATA");

  VtkSummary out;
  std::size_t tuples = 0;
  const auto numbers = [&](std::size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) REQUIRE(in >> x);
    return v;
  };
  std::string word;
  while (in >> word) {
    if (word == "POINTS") {
      std::string type;
      REQUIRE(in >> out.points >> type);
      REQUIRE(type == "float");
      const auto xyz = numbers(out.points * 3);
      out.first_point.assign(xyz.begin(), xyz.begin() + std::min<std::size_t>(3, xyz.size()));
    } else if (word == "VERTICES" || word == "LINES" || word == "POLYGONS") {
      std::size_t count = 0, size = 0, used = 0;
      REQUIRE(in >> count >> size);
      for (std::size_t c = 0; c < count; ++c) {
        std::size_t n = 0;
        REQUIRE(in >> n);
        for (std::size_t k = 0; k < n; ++k) {
          std::size_t index = 0;
          REQUIRE(in >> index);
          REQUIRE(index < out.points);
        }
        used += n + 1;
      }
      REQUIRE(used == size);
      out.cells[word] = count;
    } else if (word == "CELL_DATA" || word == "POINT_DATA") {
      REQUIRE(in >> tuples);
      out.data_tuples[word] = tuples;
    } else if (word == "SCALARS") {
      std::string name, type, lut, table;
      std::size_t comps = 0;
      REQUIRE(in >> name >> type >> comps >> lut >> table);
      REQUIRE(type == "float");
      REQUIRE((lut == "LOOKUP_TABLE" && table == "default"));
      numbers(tuples * comps);
      out.arrays[name] = comps;
    } else if (word == "FIELD") {
      std::string name;
      std::size_t arrays = 0;
      REQUIRE(in >> name >> arrays);
      for (std::size_t a = 0; a < arrays; ++a) {
        std::string array, type;
        std::size_t comps = 0, n = 0;
        REQUIRE(in >> array >> comps >> n >> type);
        REQUIRE(n == tuples);
        numbers(comps * n);
        out.arrays[array] = comps;
      }
    } else {
      FAIL("unexpected token " << word);
    }
  }
  return out;
}

PolyData sample() {
  PolyData pd;
  pd.points = {{0, 0, 0}, {1.5f, 0, 0}, {1, 1, 0}, {0, 1, 0.25f}, {0.5f, 0.5f, 1}};
  pd.vertices = {{0}, {4}};
  pd.lines = {{0, 1, 2}};
  pd.polygons = {{0, 1, 2}, {0, 1, 2, 3}};
  pd.attributes.push_back({"cell id", true, 1, {0, 1, 2, 3, 4}});
  PolyData::Attribute normals{"Normals", false, 3, {}};
  for (int i = 0; i < 5; ++i) normals.values.insert(normals.values.end(), {0, 0, 1});
  pd.attributes.push_back(normals);
  PolyData::Attribute wide{"wide", false, 6, std::vector<float>(30, 0.5f)};
  pd.attributes.push_back(wide);
  return pd;
}

}  // namespace

TEST_CASE("write_vtk_polydata writes a well-formed legacy file", "[io][vtk_writer]") {
  test::TempDir dir;
  const std::string path = dir.file("mesh.vtk");
  write_vtk_polydata(path, sample());
  const std::string text = test::read_text(path);
  CHECK_THAT(text, Contains("\nVERTICES 2 4\n"));
  CHECK_THAT(text, Contains("\nLINES 1 4\n"));
  CHECK_THAT(text, Contains("\nPOLYGONS 2 9\n"));
  CHECK_THAT(text, Contains("\nSCALARS cell%20id float 1\nLOOKUP_TABLE default\n"));

  const VtkSummary v = parse_vtk(text);
  CHECK(v.points == 5);
  CHECK(v.first_point == std::vector<float>{0, 0, 0});
  CHECK(v.cells.at("VERTICES") == 2);
  CHECK(v.cells.at("LINES") == 1);
  CHECK(v.cells.at("POLYGONS") == 2);
  CHECK(v.data_tuples.at("CELL_DATA") == 5);
  CHECK(v.data_tuples.at("POINT_DATA") == 5);
  CHECK(v.arrays.at("cell%20id") == 1);
  CHECK(v.arrays.at("Normals") == 3);
  CHECK(v.arrays.at("wide") == 6);
  CHECK(v.arrays.size() == 3);
}

TEST_CASE("write_vtk_polydata: empty PolyData and points only", "[io][vtk_writer]") {
  test::TempDir dir;
  write_vtk_polydata(dir.file("empty.vtk"), PolyData{});
  const VtkSummary empty = parse_vtk(test::read_text(dir.file("empty.vtk")));
  CHECK(empty.points == 0);
  CHECK(empty.cells.empty());
  CHECK(empty.data_tuples.empty());

  PolyData cloud;
  cloud.points = {{1, 2, 3}, {-4.5f, 5, 6}};
  write_vtk_polydata(dir.file("cloud.vtk"), cloud);
  const VtkSummary v = parse_vtk(test::read_text(dir.file("cloud.vtk")));
  CHECK(v.points == 2);
  CHECK(v.first_point == std::vector<float>{1, 2, 3});
  CHECK(v.cells.empty());
}

TEST_CASE("write_vtk_polydata rejects inconsistent data and names the path", "[io][vtk_writer]") {
  test::TempDir dir;
  PolyData bad_index = sample();
  bad_index.lines.push_back({1, 5});
  CHECK_THROWS_AS(write_vtk_polydata(dir.file("a.vtk"), bad_index), std::invalid_argument);
  CHECK_THROWS_WITH(write_vtk_polydata(dir.file("a.vtk"), bad_index), Contains("a.vtk") && Contains("LINES"));

  PolyData bad_size = sample();
  bad_size.attributes[0].values.pop_back();
  CHECK_THROWS_WITH(write_vtk_polydata(dir.file("b.vtk"), bad_size), Contains("b.vtk") && Contains("cell id"));

  const std::string unwritable = dir.file("missing/c.vtk");
  CHECK_THROWS_WITH(write_vtk_polydata(unwritable, sample()), Contains(unwritable));
}
