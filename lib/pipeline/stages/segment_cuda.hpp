// The label map kernel of the segment stage (mask_taps.hpp's pixel_label, one
// thread a pixel), free of LibTorch so that nvcc compiles it alone. Built from
// segment_cuda.cu where LibTorch has CUDA; elsewhere nothing calls it (the
// segment stage's call is compiled only with IGTB_WITH_CUDA).
#pragma once

#include <cstdint>

#include "pipeline/stages/mask_taps.hpp"

namespace igtb::masks {

/// Labels of g.height x g.width pixels into `labels` from g.n masks of
/// logits (float, or IEEE half where `half`), device pointers, on `stream`
/// (a cudaStream_t). Launches only (no sync).
void launch_labels(const Geometry& g, const void* logits, bool half, const std::uint8_t* ids, std::uint8_t* labels,
                   void* stream);

}  // namespace igtb::masks
