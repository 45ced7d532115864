// Loading a SAM-style segmenter (two modules, TorchScript or AOTInductor) and checking it
// before any socket opens:
//   encoder(image[1, 3, S, S]) -> embeddings (any tensor)
//   decoder(embeddings, boxes[1, N, 4] x0, y0, x1, y1 in the S frame)
//     -> (mask_logits[N, 1, M, M], iou[N, 1])
// S is 1024 for MobileSAM, M 256. A wrong file gets one clear error.
#pragma once

#include <optional>

#include <torch/script.h>

#include <string>

#include "models/module_loader.hpp"

namespace igtb {

struct SegmenterModel {
  Model encoder, decoder;
  std::string encoder_spec, decoder_spec;
  std::int64_t input_size = 1024;
  std::int64_t mask_size = 256;
  torch::ScalarType dtype = torch::kFloat32;          ///< the encoder's
  torch::ScalarType decoder_dtype = torch::kFloat32;  ///< the decoder's (embeddings and boxes are cast to it)
  /// 2 for an AOTInductor decoder: torch.export specializes a dynamic size of
  /// 1, so the package is compiled for N >= 2 and would run N = 1 unchecked
  /// (export_aoti.py); 1 for TorchScript.
  int decoder_min_boxes = 1;

  torch::Tensor encode(const torch::Tensor& image);
  /// boxes [N, 4] in the S frame -> (mask_logits [N, 1, M, M], iou [N, 1]).
  /// Embeddings and boxes go to decoder_dtype first (no-ops where they are).
  /// One box goes to the decoder as two where decoder_min_boxes is 2.
  std::pair<torch::Tensor, torch::Tensor> decode(const torch::Tensor& embeddings, const torch::Tensor& boxes);
};

/// Loads both modules onto `device`, the encoder in `dtype`, the decoder in
/// `decoder_dtype` (default: `dtype`), and probes them with a zero image and
/// one centred box. Throws ModelError.
SegmenterModel load_segmenter(const std::string& encoder_spec, const std::string& decoder_spec,
                              const torch::Device& device, std::int64_t input_size = 1024,
                              torch::ScalarType dtype = torch::kFloat32,
                              std::optional<torch::ScalarType> decoder_dtype = std::nullopt);

}  // namespace igtb
