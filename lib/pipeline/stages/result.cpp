#include "pipeline/stages/result.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "pipeline/tracking/track_step.hpp"

namespace igtb {
namespace {

torch::Tensor bytes_of(const torch::Tensor& t, torch::ScalarType type) {
  return t.to(type).contiguous().view(torch::kUInt8).reshape({-1});
}

}  // namespace

torch::Tensor pack_result(const torch::Tensor& labels, const torch::Tensor& boxes, const torch::Tensor& scores,
                          const torch::Tensor& ids, const torch::Tensor& states) {
  const auto n = scores.size(0);
  if (labels.dim() != 2 || boxes.sizes() != torch::IntArrayRef({n, 4}) || ids.size(0) != n || states.size(0) != n)
    throw std::invalid_argument("pack_result: labels [H, W], boxes [N, 4], scores/ids/states [N] expected");
  std::int32_t head[step::kHeaderInts] = {std::int32_t(labels.size(0)), std::int32_t(labels.size(1)), std::int32_t(n),
                                          std::int32_t(n)};
  const auto header = torch::from_blob(head, {step::kHeaderInts}, torch::kInt32).to(labels.device());
  return torch::cat({bytes_of(header, torch::kInt32), bytes_of(boxes, torch::kFloat32), bytes_of(scores, torch::kFloat32),
                     bytes_of(ids, torch::kUInt8), bytes_of(states, torch::kUInt8), bytes_of(labels, torch::kUInt8)});
}

FrameResult unpack_result(const std::uint8_t* p, std::size_t size) {
  FrameResult r;
  std::int32_t head[step::kHeaderInts];
  if (size < sizeof head) throw std::invalid_argument("packed result shorter than its header");
  std::memcpy(head, p, sizeof head);
  for (std::int32_t v : head)
    if (v < 0) throw std::invalid_argument("packed result header is negative");
  r.height = head[0];
  r.width = head[1];
  const std::size_t n = std::size_t(head[2]), cap = std::size_t(head[3]);
  if (n > cap) throw std::invalid_argument("packed result holds more tracks than its capacity");
  r.unsegmented = head[4];
  const std::size_t pixels = std::size_t(r.height) * std::size_t(r.width);
  const std::size_t need = std::size_t(step::track_block_bytes(int(cap))) + pixels;
  if (size != need)
    throw std::invalid_argument("packed result of " + std::to_string(size) + " bytes, header says " + std::to_string(need));
  const std::uint8_t* at = p + sizeof head;
  r.tracks.resize(n);
  for (std::size_t i = 0; i < n; ++i) std::memcpy(r.tracks[i].box, at + 16 * i, 16);
  at += 16 * cap;
  for (std::size_t i = 0; i < n; ++i) std::memcpy(&r.tracks[i].score, at + 4 * i, 4);
  at += 4 * cap;
  for (std::size_t i = 0; i < n; ++i) r.tracks[i].id = at[i];
  at += cap;
  for (std::size_t i = 0; i < n; ++i) r.tracks[i].state = at[i];
  at += cap;
  r.labels.assign(at, at + pixels);
  return r;
}

}  // namespace igtb
