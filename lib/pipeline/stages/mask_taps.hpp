// SAM's mask post-processing as arithmetic on plain arrays, written once for
// the host and a CUDA kernel (segment_cuda.cu), as track_step.hpp is for the
// tracker: the low-resolution logits (side_h x side_w, SAM's 256x256 for the
// padded square) are upsampled bilinearly to the square (size x size), cut to
// the frame's part (part_h x part_w) and resized bilinearly to the frame
// (height x width); a pixel belongs to a mask where the result is above 0.
// Both resizes are PyTorch's bilinear interpolation (align_corners false) and
// separable, so each output pixel is a fixed mix of at most 4 x 4 logits:
// taps() composes the two resizes along one axis. Free of LibTorch so that
// nvcc compiles it alone; the CUDA build compiles it without fused
// multiply-adds, so host and device give the same floats.
#pragma once

#include <cstdint>

#ifndef IGTB_HD
#ifdef __CUDACC__
#define IGTB_HD __host__ __device__
#else
#define IGTB_HD
#endif
#endif

namespace igtb::masks {

/// The sizes of one call: n masks of side_h x side_w logits, the square's
/// side, the frame's part of it and the output frame.
struct Geometry {
  int n = 0, side_h = 0, side_w = 0;
  int square = 1024;
  int part_h = 0, part_w = 0;
  int height = 0, width = 0;
};

/// Four source indices and their weights (where both resizes reach the same
/// logit, the index repeats; a tap clamped at the edge may weigh 0).
struct Taps {
  int index[4];
  float weight[4];
};

/// PyTorch's bilinear source position for output index `dst` at scale
/// in/out (align_corners false): the two neighbours and the second's weight.
IGTB_HD inline void linear_source(int dst, float scale, int in_size, int& i0, int& i1, float& lambda) {
  float src = scale * (float(dst) + 0.5f) - 0.5f;
  if (src < 0.0f) src = 0.0f;
  i0 = int(src);
  i1 = i0 < in_size - 1 ? i0 + 1 : i0;
  lambda = src - float(i0);
}

/// Output index `dst` of `out` along one axis: which logits (of `side`) it
/// mixes, and how much of each, through the square (`square`, of which the
/// first `part` is the frame).
IGTB_HD inline Taps taps(int dst, int out, int part, int square, int side) {
  int m0, m1, a0, a1, b0, b1;
  float lm, la, lb;
  linear_source(dst, float(part) / float(out), part, m0, m1, lm);
  const float to_side = float(side) / float(square);
  linear_source(m0, to_side, side, a0, a1, la);
  linear_source(m1, to_side, side, b0, b1, lb);
  const float w0 = 1.0f - lm, w1 = lm;
  return Taps{{a0, a1, b0, b1}, {w0 * (1.0f - la), w0 * la, w1 * (1.0f - lb), w1 * lb}};
}

/// One row of logits mixed at the column taps `tx`.
template <typename T>
IGTB_HD inline float mix_row(const T* row, const Taps& tx) {
  return ((tx.weight[0] * float(row[tx.index[0]]) + tx.weight[1] * float(row[tx.index[1]])) +
          tx.weight[2] * float(row[tx.index[2]])) +
         tx.weight[3] * float(row[tx.index[3]]);
}

/// Four row mixes combined at the row taps `ty`: the pixel's value.
IGTB_HD inline float mix_rows(const Taps& ty, float r0, float r1, float r2, float r3) {
  return ((ty.weight[0] * r0 + ty.weight[1] * r1) + ty.weight[2] * r2) + ty.weight[3] * r3;
}

/// The label of pixel (y, x): the largest ids[k] whose mask k is above 0
/// there, 0 where none is. logits: n x side_h x side_w, row-major.
template <typename T>
IGTB_HD inline std::uint8_t pixel_label(const Geometry& g, const T* logits, const std::uint8_t* ids, const Taps& ty,
                                        const Taps& tx) {
  std::uint8_t label = 0;
  const long plane = long(g.side_h) * g.side_w;
  for (int k = 0; k < g.n; ++k) {
    if (ids[k] <= label) continue;
    const T* m = logits + k * plane;
    const float v = mix_rows(ty, mix_row(m + long(ty.index[0]) * g.side_w, tx), mix_row(m + long(ty.index[1]) * g.side_w, tx),
                             mix_row(m + long(ty.index[2]) * g.side_w, tx), mix_row(m + long(ty.index[3]) * g.side_w, tx));
    if (v > 0.0f) label = ids[k];
  }
  return label;
}

}  // namespace igtb::masks
