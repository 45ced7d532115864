#include "tools/pipeline_bench.hpp"

#include <chrono>
#include <stdexcept>

#include "core/percentile.hpp"
#include "io/sequence.hpp"
#include "tools/replay.hpp"

namespace igtb {

PipelineBenchResult run_pipeline_bench(const PipelineBenchOptions& o) {
  const io::Sequence seq = io::read_sequence(o.file);
  std::vector<Image> images;
  for (std::size_t i = 0; i < seq.frames.size(); ++i)
    if (seq.frames[i].image_valid) images.push_back(replay_image(seq, i));
  if (images.empty()) throw std::runtime_error(o.file + ": no valid frame to run");

  Pipeline p(o.pipeline);
  PipelineBenchResult r;
  r.device = p.device().str();
  r.frame = std::to_string(images[0].dims[0]) + "x" + std::to_string(images[0].dims[1]) + "x" +
            std::to_string(images[0].components) + " " + std::string(scalar_name(images[0].scalar));
  for (std::uint64_t i = 0; i < o.warmup; ++i) p.process(images[i % images.size()]);

  std::vector<std::vector<double>> stage(StageTimes::kCount);
  std::vector<double> e2e;
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  for (std::uint64_t i = 0; i < o.frames; ++i) {
    const auto t0 = clock::now();
    const PipelineOutput out = p.process(images[(o.warmup + i) % images.size()]);
    e2e.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
    for (std::size_t s = 0; s < StageTimes::kCount; ++s) stage[s].push_back(out.times.ms[s]);
    r.mean_tracks += double(out.result.tracks.size());
    for (const auto& t : out.result.tracks) r.mean_visible += t.state == std::uint8_t(TrackState::Visible);
  }
  r.seconds = std::chrono::duration<double>(clock::now() - start).count();
  r.frames = o.frames;
  r.graph_captures = p.graph_captures();
  r.graph_replays = p.graph_replays();
  r.graph_failure = p.graph_failure();
  if (o.frames) {
    r.mean_tracks /= double(o.frames);
    r.mean_visible /= double(o.frames);
  }
  auto summary = [](const std::string& name, const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return StageSummary{name, percentile(v, 50), percentile(v, 99), v.empty() ? 0 : sum / double(v.size())};
  };
  for (std::size_t s = 0; s < StageTimes::kCount; ++s) r.stages.push_back(summary(StageTimes::names()[s], stage[s]));
  r.stages.push_back(summary("e2e", e2e));
  return r;
}

}  // namespace igtb
