#include "pipeline/tracking/device_tracker.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "pipeline/tracking/track_step_cuda.hpp"

#ifdef IGTB_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace igtb {
namespace {

/// Calls launch(stream) with `device` current and LibTorch's current stream
/// of that device, so kernels queue behind the stages before them.
template <class Launch>
void on_stream_of(const torch::Device& device, Launch&& launch) {
#ifdef IGTB_WITH_CUDA
  const c10::cuda::CUDAGuard guard(device);
  launch(static_cast<void*>(c10::cuda::getCurrentCUDAStream(device.index()).stream()));
#else
  (void)launch;
  throw std::logic_error("no CUDA in this build, device " + device.str());
#endif
}

void check_on(const torch::Tensor& t, const torch::Device& device, const char* what) {
  if (t.device() != device) throw std::invalid_argument(std::string(what) + " is not on the tracker's device");
}

}  // namespace

step::Params tracker_params(const TrackParams& c, int slots) {
  // Not a validation of the user's values (the config checks them, with the
  // key's name): the bounds the step's fixed-size arrays need.
  if (c.max_tracks < 1 || c.max_tracks > step::kMaxSide)
    throw std::invalid_argument("max_tracks must be 1.." + std::to_string(step::kMaxSide) + ", got " +
                                std::to_string(c.max_tracks));
  if (slots < 1 || slots > step::kMaxSide)
    throw std::invalid_argument("segmenter slots must be 1.." + std::to_string(step::kMaxSide));
  step::Params p;
  p.track = c;
  p.slots = slots;
  return p;
}

DeviceTracker::DeviceTracker(const TrackParams& c, int slots, const torch::Device& device)
    : params_(tracker_params(c, slots)), device_(device) {
  if (device.is_cuda() && !step::cuda_kernels_built())
    throw std::invalid_argument("this build has no CUDA kernels for the tracker");
  state_ = torch::zeros({std::int64_t(sizeof(step::State))}, torch::dtype(torch::kUInt8).device(device_));
  if (device_.is_cpu()) scratch_ = std::make_unique<step::Scratch>();
}

DeviceTracker::~DeviceTracker() = default;
DeviceTracker::DeviceTracker(DeviceTracker&&) noexcept = default;
DeviceTracker& DeviceTracker::operator=(DeviceTracker&&) noexcept = default;

void DeviceTracker::reset() { state_.zero_(); }

step::State DeviceTracker::state() const {
  const torch::Tensor host = state_.to(torch::kCPU);
  step::State s;
  std::memcpy(&s, host.data_ptr<std::uint8_t>(), sizeof s);
  return s;
}

TrackSlots DeviceTracker::update(const DetectionSet& dets, std::int64_t width, std::int64_t height,
                                 torch::Tensor& block) {
  const torch::Tensor scores = dets.scores.to(torch::kFloat32).contiguous();
  const torch::Tensor boxes = dets.boxes_norm.to(torch::kFloat32).contiguous();
  const torch::Tensor valid = dets.valid.to(torch::kBool).contiguous();
  const auto k = scores.numel();
  if (k > step::kMaxSide || boxes.numel() != 4 * k || valid.numel() != k)
    throw std::invalid_argument("tracker: at most " + std::to_string(step::kMaxSide) + " detections of 4 box values");
  if (block.scalar_type() != torch::kUInt8 || !block.is_contiguous() || block.numel() != block_bytes() ||
      reinterpret_cast<std::uintptr_t>(block.data_ptr()) % 4 != 0)
    throw std::invalid_argument("tracker: the block must be " + std::to_string(block_bytes()) +
                                " contiguous, 4-byte aligned bytes");
  for (const torch::Tensor* t : {&scores, &boxes, &valid, static_cast<const torch::Tensor*>(&block)})
    check_on(*t, device_, "a tracker input");
  step::Params p = params_;
  p.width = int(width);
  p.height = int(height);
  TrackSlots out;
  const auto opts = torch::TensorOptions().device(device_);
  out.boxes = torch::empty({p.slots, 4}, opts.dtype(torch::kFloat32));
  out.ids = torch::empty({p.slots}, opts.dtype(torch::kUInt8));
  const step::Inputs in{scores.data_ptr<float>(), boxes.data_ptr<float>(), valid.data_ptr<bool>(), int(k)};
  const step::Outputs o{block.data_ptr<std::uint8_t>(), out.boxes.data_ptr<float>(), out.ids.data_ptr<std::uint8_t>()};
  auto* state = reinterpret_cast<step::State*>(state_.data_ptr<std::uint8_t>());
  if (device_.is_cuda()) {
    on_stream_of(device_, [&](void* stream) { step::launch_frame_step(p, state, in, o, stream); });
  } else {
    step::frame_step(step::HostLanes{}, p, *state, *scratch_, in, o);
  }
  return out;
}

torch::Tensor assign_batch(const torch::Tensor& costs_in) {
  if (costs_in.dim() != 3 || costs_in.size(1) > step::kMaxSide || costs_in.size(2) > step::kMaxSide)
    throw std::invalid_argument("assign_batch: costs [B, rows, cols] with rows, cols <= 64");
  const torch::Tensor costs = costs_in.to(torch::kFloat64).contiguous();
  const int batch = int(costs.size(0)), rows = int(costs.size(1)), cols = int(costs.size(2));
  torch::Tensor out = torch::empty({batch, rows}, costs.options().dtype(torch::kInt32));
  if (costs.is_cuda()) {
    on_stream_of(costs.device(), [&](void* stream) {
      step::launch_assign(batch, rows, cols, costs.data_ptr<double>(), out.data_ptr<std::int32_t>(), stream);
    });
    return out;
  }
  step::SolverScratch s;
  for (int b = 0; b < batch; ++b)
    step::assign(step::HostLanes{}, rows, cols, costs.data_ptr<double>() + std::int64_t(b) * rows * cols, s,
                 out.data_ptr<std::int32_t>() + std::int64_t(b) * rows);
  return out;
}

}  // namespace igtb
