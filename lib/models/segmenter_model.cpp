#include "models/segmenter_model.hpp"

namespace igtb {
namespace {

const std::string kDecoderOutputs = "must return (mask_logits[N, 1, M, M], iou[N, 1])";


}  // namespace

torch::Tensor SegmenterModel::encode(const torch::Tensor& image) {
  auto out = encoder.forward({image});
  if (out.size() != 1)
    throw ModelError(encoder_spec + ": encoder forward must return one tensor, got " + std::to_string(out.size()));
  return out[0];
}

std::pair<torch::Tensor, torch::Tensor> SegmenterModel::decode(const torch::Tensor& embeddings,
                                                               const torch::Tensor& boxes) {
  if (boxes.dim() == 2 && boxes.size(0) == 1 && decoder_min_boxes == 2) {
    // Two copies of the box, the first result kept (boxes are decoded independently).
    auto [logits, iou] = decode(embeddings, boxes.expand({2, boxes.size(1)}));
    return {logits.slice(0, 0, 1), iou.slice(0, 0, 1)};
  }
  return tensor_pair(decoder.forward({embeddings.to(decoder_dtype), boxes.to(decoder_dtype).unsqueeze(0)}),
                     decoder_spec, kDecoderOutputs);
}

SegmenterModel load_segmenter(const std::string& encoder_spec, const std::string& decoder_spec,
                              const torch::Device& device, std::int64_t input_size, torch::ScalarType dtype,
                              std::optional<torch::ScalarType> decoder_dtype) {
  SegmenterModel m;
  m.encoder_spec = encoder_spec;
  m.decoder_spec = decoder_spec;
  m.input_size = input_size;
  m.dtype = dtype;
  m.decoder_dtype = decoder_dtype.value_or(dtype);
  m.encoder = load_module(encoder_spec, DemoModel::Encoder, device, dtype);
  m.decoder = load_module(decoder_spec, DemoModel::Decoder, device, m.decoder_dtype);
  m.decoder_min_boxes = Model::is_aoti_spec(decoder_spec) ? 2 : 1;
  torch::NoGradGuard no_grad;
  const auto s = std::to_string(input_size);
  torch::Tensor emb;
  try {
    emb = m.encode(torch::zeros({1, 3, input_size, input_size}, torch::dtype(dtype).device(device)));
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(encoder_spec + ": encoder forward(image[1, 3, " + s + ", " + s + "]) failed: " +
                     short_error(e));
  }
  const double q = double(input_size) / 4;
  const auto box = torch::tensor({q, q, 3 * q, 3 * q}, torch::dtype(dtype).device(device)).reshape({1, 4});
  torch::Tensor logits, iou;
  try {
    std::tie(logits, iou) = m.decode(emb, box);
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(decoder_spec + ": decoder forward(embeddings" + shape_of(emb) + ", one box) failed: " +
                     short_error(e));
  }
  if (logits.dim() != 4 || logits.size(0) != 1 || logits.size(1) != 1 || logits.size(2) != logits.size(3) ||
      logits.size(2) < 8 || iou.dim() != 2 || iou.size(0) != 1 || iou.size(1) != 1)
    throw ModelError(decoder_spec + ": decoder forward with one box " + kDecoderOutputs + ", got mask_logits" +
                     shape_of(logits) + " and iou" + shape_of(iou));
  m.mask_size = logits.size(2);
  return m;
}

}  // namespace igtb
