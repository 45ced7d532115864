// Helpers shared by the lib/io tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/catch.hpp"

#include "io/sequence.hpp"

#include <unistd.h>

namespace igtb::io::test {

inline std::string data_path(const std::string& name) { return std::string(IGTB_TEST_DATA_DIR) + "/" + name; }

inline std::uint64_t fnv1a64(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ULL;
  return h;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("igtb_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `content` to `name` and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

/// Every field of two sequences, pixels, frames, transforms and statuses included.
inline void check_same(const Sequence& a, const Sequence& b) {
  CHECK(a.frame_dims == b.frame_dims);
  CHECK(a.components == b.components);
  CHECK(a.scalar == b.scalar);
  CHECK(a.spacing == b.spacing);
  CHECK(a.origin == b.origin);
  CHECK(a.direction == b.direction);
  CHECK(a.pixels == b.pixels);
  REQUIRE(a.frames.size() == b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    CHECK(a.frames[i].timestamp == b.frames[i].timestamp);
    CHECK(a.frames[i].image_valid == b.frames[i].image_valid);
    CHECK(a.frames[i].fields == b.frames[i].fields);
    REQUIRE(a.frames[i].transforms.size() == b.frames[i].transforms.size());
    for (std::size_t t = 0; t < a.frames[i].transforms.size(); ++t) {
      CHECK(a.frames[i].transforms[t].name == b.frames[i].transforms[t].name);
      CHECK(a.frames[i].transforms[t].matrix == b.frames[i].transforms[t].matrix);
      CHECK(a.frames[i].transforms[t].status == b.frames[i].transforms[t].status);
    }
  }
}


}  // namespace igtb::io::test
