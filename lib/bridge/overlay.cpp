#include "bridge/overlay.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "io/png_writer.hpp"

namespace igtb {
namespace {

float sample(const std::uint8_t* p, ScalarType t) {
  switch (t) {
    case ScalarType::Int8: return float(*reinterpret_cast<const std::int8_t*>(p));
    case ScalarType::UInt8: return float(*p);
    case ScalarType::Int16: { std::int16_t v; std::memcpy(&v, p, 2); return float(v); }
    case ScalarType::UInt16: { std::uint16_t v; std::memcpy(&v, p, 2); return float(v); }
    case ScalarType::Int32: { std::int32_t v; std::memcpy(&v, p, 4); return float(v); }
    case ScalarType::UInt32: { std::uint32_t v; std::memcpy(&v, p, 4); return float(v); }
    case ScalarType::Float32: { float v; std::memcpy(&v, p, 4); return v; }
    case ScalarType::Float64: { double v; std::memcpy(&v, p, 8); return float(v); }
  }
  return 0.f;
}

// Distinct, saturated colours; label v takes kPalette[(v - 1) % 8].
constexpr std::uint8_t kPalette[8][3] = {{255, 64, 64},  {64, 220, 64},  {64, 128, 255}, {255, 200, 0},
                                         {255, 64, 255}, {0, 220, 220}, {255, 128, 0},  {160, 100, 255}};

}  // namespace

void downscale_for_overlay(const ImageView& image, const std::uint8_t* labels, int max_width, OverlayFrame& out) {
  const int w = image.dims[0], h = image.dims[1], d = image.dims[2];
  if (w <= 0 || h <= 0 || d <= 0 || !image.pixels || !labels || max_width <= 0)
    throw std::invalid_argument("downscale_for_overlay: an empty image");
  const int ow = std::min(w, max_width);
  const int oh = std::max(1, int(std::int64_t(h) * ow / w));
  out.width = ow;
  out.height = oh;
  out.grey.resize(std::size_t(ow) * oh);
  out.labels.resize(std::size_t(ow) * oh);
  const std::size_t px = scalar_size(image.scalar) * image.components;
  const std::size_t slice = std::size_t(d / 2) * w * h;  // a volume's middle slice
  for (int y = 0; y < oh; ++y) {
    const std::size_t sy = std::size_t(std::int64_t(y) * h / oh);
    for (int x = 0; x < ow; ++x) {
      const std::size_t i = slice + sy * w + std::size_t(std::int64_t(x) * w / ow);
      out.grey[std::size_t(y) * ow + x] = sample(image.pixels + i * px, image.scalar);
      out.labels[std::size_t(y) * ow + x] = labels[i];
    }
  }
}

std::vector<std::uint8_t> render_overlay_rgb(const OverlayFrame& f) {
  const std::size_t n = std::size_t(f.width) * f.height;
  if (n == 0 || f.grey.size() != n || f.labels.size() != n)
    throw std::invalid_argument("render_overlay_rgb: an empty or inconsistent frame");
  const auto [lo_it, hi_it] = std::minmax_element(f.grey.begin(), f.grey.end());
  const float lo = *lo_it, range = *hi_it > *lo_it ? *hi_it - *lo_it : 1.f;
  std::vector<std::uint8_t> rgb(n * 3);
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) {
      const std::size_t i = std::size_t(y) * f.width + x;
      const float g = std::clamp((f.grey[i] - lo) / range * 255.f, 0.f, 255.f);
      std::uint8_t* o = &rgb[i * 3];
      o[0] = o[1] = o[2] = static_cast<std::uint8_t>(g);
      const std::uint8_t v = f.labels[i];
      if (v == 0) continue;
      const std::uint8_t* c = kPalette[(v - 1) % 8];
      // An outline pixel: a 4-neighbour (or the picture's edge) has another label.
      const bool edge = x == 0 || y == 0 || x == f.width - 1 || y == f.height - 1 || f.labels[i - 1] != v ||
                        f.labels[i + 1] != v || f.labels[i - f.width] != v || f.labels[i + f.width] != v;
      for (int k = 0; k < 3; ++k)
        o[k] = edge ? c[k] : static_cast<std::uint8_t>(0.65f * g + 0.35f * c[k]);
    }
  return rgb;
}

std::vector<std::uint8_t> render_overlay_png(const OverlayFrame& f) {
  const std::vector<std::uint8_t> rgb = render_overlay_rgb(f);
  return io::encode_png_rgb(rgb.data(), f.width, f.height);
}

void OverlayTap::capture(const ImageView& image, const std::uint8_t* labels, const std::string& device,
                         std::uint64_t frame, double timestamp) {
  if (!armed_.exchange(false, std::memory_order_acquire)) return;  // another worker took this one
  std::lock_guard<std::mutex> lock(m_);
  downscale_for_overlay(image, labels, max_width_.load(std::memory_order_relaxed), back_);
  back_.device.assign(device);  // within its capacity after the first frame of this device
  back_.frame = frame;
  back_.timestamp = timestamp;
  fresh_ = true;
}

bool OverlayTap::take(OverlayFrame& out) {
  std::lock_guard<std::mutex> lock(m_);
  if (!fresh_) return false;
  std::swap(out, back_);
  fresh_ = false;
  return true;
}

}  // namespace igtb
