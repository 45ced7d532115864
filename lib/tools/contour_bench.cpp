#include "tools/contour_bench.hpp"

#include <chrono>
#include <random>
#include <stdexcept>

#include "io/sequence.hpp"
#include "pipeline/stages/contours.hpp"
#include "tools/replay.hpp"

namespace igtb {
namespace {

struct LabelMap {
  std::string name, description;
  std::vector<std::uint8_t> labels;
};

std::vector<LabelMap> label_maps(int w, int h) {
  std::mt19937 rng(20261202);
  std::vector<LabelMap> maps;
  const auto n = std::size_t(w) * std::size_t(h);
  {
    LabelMap m{"disks", "ten disks, radius 20-65 px (trained segmenters)", std::vector<std::uint8_t>(n, 0)};
    for (int k = 0; k < 10; ++k) {
      const double cx = w * (0.1 + 0.08 * k), cy = h * (0.25 + 0.05 * (k % 5)), r = 20 + 5 * k;
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m.labels[std::size_t(y) * w + x] = std::uint8_t(k + 1);
    }
    maps.push_back(std::move(m));
  }
  {
    LabelMap m{"speckled boxes", "ten boxes of 1/4-1/2 the frame, each pixel inside labelled with p = 1/2 "
                                 "(random weights at threshold 0)",
               std::vector<std::uint8_t>(n, 0)};
    std::bernoulli_distribution coin(0.5);
    for (int k = 0; k < 10; ++k) {
      const int bw = w / 4 + k * w / 40, bh = h / 4 + k * h / 40;
      const int x0 = (k * 37) % (w - bw), y0 = (k * 53) % (h - bh);
      for (int y = y0; y < y0 + bh; ++y)
        for (int x = x0; x < x0 + bw; ++x)
          if (coin(rng)) m.labels[std::size_t(y) * w + x] = std::uint8_t(k + 1);
    }
    maps.push_back(std::move(m));
  }
  {
    LabelMap m{"noise", "every pixel a random label 0-10 (the worst case)", std::vector<std::uint8_t>(n, 0)};
    std::uniform_int_distribution<int> label(0, 10);
    for (auto& v : m.labels) v = std::uint8_t(label(rng));
    maps.push_back(std::move(m));
  }
  return maps;
}

}  // namespace

std::vector<ContourBenchCase> run_contour_bench(const ContourBenchOptions& o) {
  if (o.frames == 0) throw std::invalid_argument("contour bench: --frames must be at least 1");
  const io::Sequence seq = io::read_sequence(o.file);
  std::size_t first = 0;
  while (first < seq.frames.size() && !seq.frames[first].image_valid) ++first;
  if (first == seq.frames.size()) throw std::runtime_error(o.file + ": no valid frame");
  ImageInfo geometry = replay_image_info(seq, first);  // dims, spacing, matrix of the recording
  geometry.dims[2] = 1;
  std::vector<ContourBenchCase> out;
  for (const LabelMap& m : label_maps(geometry.dims[0], geometry.dims[1])) {
    ContourBenchCase c;
    c.name = m.name;
    c.description = m.description;
    for (auto v : m.labels) c.labelled += v != 0;
    std::vector<double> ms;
    for (std::uint64_t i = 0; i < o.warmup + o.frames; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const PolyData pd = label_contours(m.labels.data(), geometry);
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (i >= o.warmup) ms.push_back(t);
      c.loops = pd.lines.size();
      c.points = pd.points.size();
    }
    c.ms = summarize("contours", ms);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace igtb
