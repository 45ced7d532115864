// Synthetic ultrasound-like frames for the pipeline tests: bright disks on
// speckle noise, moving along straight lines, each one absent for a chosen
// range of frames. Deterministic (seeded); the true masks come with them.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/image.hpp"

namespace igtb::test {

struct Disk {
  double x0, y0;      ///< centre at frame 0, pixels
  double vx, vy;      ///< pixels per frame
  double radius;
  int absent_from = -1, absent_to = -1;  ///< frames [from, to) without the disk
  double level = 200.0;                  ///< its pixels' mean value (+-10)
  double cx(int f) const { return x0 + vx * f; }
  double cy(int f) const { return y0 + vy * f; }
  bool present(int f) const { return f < absent_from || f >= absent_to; }
};

struct Scene {
  int width = 320, height = 240;
  std::vector<Disk> disks;
  std::uint32_t seed = 7;

  /// True mask of disk d in frame f (pixel centres inside the circle).
  bool inside(std::size_t d, int f, int x, int y) const {
    const Disk& k = disks[d];
    if (!k.present(f)) return false;
    const double dx = x - k.cx(f), dy = y - k.cy(f);
    return dx * dx + dy * dy <= k.radius * k.radius;
  }

  /// uint8 pixels, row-major: speckle (Rayleigh, mean ~45) plus disks at their level (~200).
  std::vector<std::uint8_t> frame(int f) const {
    std::mt19937 rng(seed + std::uint32_t(f) * 7919u);
    std::uniform_real_distribution<double> u(1e-6, 1.0);
    std::vector<std::uint8_t> px(std::size_t(width) * std::size_t(height));
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        double v = 36.0 * std::sqrt(-2.0 * std::log(u(rng)));  // Rayleigh speckle, mean ~45
        for (std::size_t d = 0; d < disks.size(); ++d)
          if (inside(d, f, x, y)) v = disks[d].level + 20.0 * (u(rng) - 0.5);
        px[std::size_t(y) * std::size_t(width) + std::size_t(x)] = std::uint8_t(std::min(255.0, v));
      }
    return px;
  }
};

/// Frame f as an uint8 IMAGE with the given wire matrix.
inline Image scene_image(const Scene& s, int f,
                         const std::array<float, 12>& matrix = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}) {
  Image img;
  img.dims = {std::uint16_t(s.width), std::uint16_t(s.height), 1};
  img.subvolume_size = img.dims;
  img.scalar = ScalarType::UInt8;
  img.matrix = matrix;
  const auto px = s.frame(f);
  img.pixels.assign(px.begin(), px.end());
  return img;
}

/// IoU of the label-map pixels equal to `id` with disk d of frame f (1 when both are empty).
inline double label_iou(const std::uint8_t* labels, const Scene& s, std::size_t d, int f, std::uint8_t id) {
  std::size_t both = 0, either = 0;
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x) {
      const bool a = labels[std::size_t(y * s.width + x)] == id, b = s.inside(d, f, x, y);
      both += a && b;
      either += a || b;
    }
  return either ? double(both) / double(either) : 1.0;
}

/// Two disks; disk 1 leaves at frame 12 and comes back at frame 30, near
/// where it left (it moves slowly). With lost_after_frames 10 its track is
/// VISIBLE 0..11, RELOCALIZING 12..20, LOST 21..29, VISIBLE again from 30.
inline Scene two_disks_scene() {
  Scene s;
  s.disks = {Disk{90, 80, 1.5, 0.5, 34},
             Disk{240, 170, -0.3, -0.2, 30, 12, 30}};
  return s;
}

/// The segment shape's scene: two classes of object, told apart by their
/// brightness (tests/support/two_class_model.hpp's network): disk 0 of class
/// 1 (level 120) and disk 1 of class 2 (level 240), both moving; disk 1
/// leaves at frame 8 and comes back at frame 22.
inline Scene two_class_scene() {
  Scene s;
  s.width = 192;
  s.height = 144;
  s.disks = {Disk{50, 50, 1.0, 0.5, 24, -1, -1, 120.0}, Disk{140, 95, -0.5, -0.3, 22, 8, 22, 240.0}};
  return s;
}

}  // namespace igtb::test
