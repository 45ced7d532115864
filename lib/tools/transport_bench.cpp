#include "tools/transport_bench.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "bridge/relay.hpp"
#include "tools/listen.hpp"
#include "tools/replay.hpp"
#include "transport/image_codec.hpp"
#include "transport/transform_codec.hpp"

namespace igtb {
namespace {

using clock = std::chrono::steady_clock;

double seconds_between(clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

/// The wire bytes of one frame as the replay sends them (v2: the listener says hello).
Bytes frame_bytes(const io::Sequence& seq, std::size_t i, std::size_t* transforms) {
  const auto& f = seq.frames[i];
  const std::uint64_t ts = timestamp_from_seconds(f.timestamp);
  Envelope env{"IMAGE", "Image_Reference", ts, 2};
  env.metadata.assign(f.fields.begin(), f.fields.end());
  Bytes all = encode_image(env, replay_image(seq, i));
  *transforms = 0;
  for (const auto& t : f.transforms) {
    if (!t.valid()) continue;
    Matrix4f m{};
    for (int k = 0; k < 16; ++k) m[k] = static_cast<float>(t.matrix[k]);
    const Bytes b = encode_transform(Envelope{"TRANSFORM", t.name, ts, 2, 0, {{"TransformStatus", "OK"}}}, m);
    all.insert(all.end(), b.begin(), b.end());
    ++*transforms;
  }
  return all;
}

Throughput median(std::vector<Throughput> runs) {
  std::sort(runs.begin(), runs.end(), [](const Throughput& a, const Throughput& b) { return a.fps() < b.fps(); });
  return runs.empty() ? Throughput{} : runs[runs.size() / 2];
}

Throughput bench_raw(const std::vector<Bytes>& frames, std::uint64_t total, std::uint64_t warmup) {
  Socket pump_in_listen = Socket::listen_tcp("127.0.0.1", 0);
  Socket sink_listen = Socket::listen_tcp("127.0.0.1", 0);
  std::uint64_t bytes_total = 0, bytes_warm = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    bytes_total += frames[i % frames.size()].size();
    if (i < warmup) bytes_warm += frames[i % frames.size()].size();
  }
  clock::time_point t_warm, t_end;
  std::thread sink([&] {
    auto s = sink_listen.accept(10000);
    std::vector<std::uint8_t> buf(1 << 20);
    std::uint64_t got = 0;
    bool warm = warmup == 0;
    if (warm) t_warm = clock::now();
    while (s && got < bytes_total) {
      got += s->recv_upto(buf.data(), buf.size(), 1000);
      if (!warm && got >= bytes_warm) {
        warm = true;
        t_warm = clock::now();
      }
    }
    t_end = clock::now();
  });
  std::thread pump([&] {
    auto in = pump_in_listen.accept(10000);
    Socket out = Socket::connect_tcp("127.0.0.1", sink_listen.local_port(), 1000);
    std::vector<std::uint8_t> buf(1 << 20);
    std::uint64_t moved = 0;
    while (in && moved < bytes_total) {
      const std::size_t n = in->recv_upto(buf.data(), buf.size(), 1000);
      out.send_all(buf.data(), n);
      moved += n;
    }
  });
  Socket src = Socket::connect_tcp("127.0.0.1", pump_in_listen.local_port(), 1000);
  for (std::uint64_t i = 0; i < total; ++i) {
    const Bytes& f = frames[i % frames.size()];
    src.send_all(f.data(), f.size());
  }
  pump.join();
  sink.join();
  Throughput t;
  t.frames = total - warmup;
  t.seconds = seconds_between(t_warm, t_end);
  t.bytes = double(bytes_total - bytes_warm);
  return t;
}

Throughput bench_bridge(const TransportBenchOptions& o, const std::vector<Bytes>& frames, std::uint64_t* dropped) {
  ReplayOptions ro;
  ro.files = {o.file};
  ro.port = 0;
  ro.fps = 0;
  ro.loop = true;
  ro.count = o.frames;
  ro.wait_clients = 1;
  Replay replay(ro);
  replay.start();
  RelayOptions rel;
  rel.upstream.port = replay.port();
  rel.downstream.port = 0;
  // Lossless for the measurement, like the raw copy it is compared with: a
  // slower listener holds the relay back instead of losing frames, so the
  // figure is what passes through every stage, not what one stage can drop.
  rel.downstream.drop_when_full = false;
  Relay relay(rel);
  relay.start();

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> images{0};
  clock::time_point t_warm, t_last;
  ListenOptions lo;
  lo.port = relay.output_port();
  lo.timeout_s = 600;
  std::thread listener([&] {
    listen(lo, stop, [](const std::string&) {}, [&](const Message& m) {
      if (m.type() != "IMAGE") return;
      const std::uint64_t n = ++images;
      t_last = clock::now();
      if (n == o.warmup + 1) t_warm = t_last;
      if (n == o.frames) stop = true;
    });
  });
  while (relay.stats().clients < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  replay.run();  // returns once the relay has read every frame
  // The relay may drop frames for a slow listener: wait until the stream is quiet.
  for (std::uint64_t seen = ~0ULL; !stop && seen != images.load();) {
    seen = images.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  stop = true;
  listener.join();
  *dropped += relay.stats().dropped;
  relay.stop();
  replay.stop();
  const std::uint64_t got = images.load();
  if (got <= o.warmup + 1) throw std::runtime_error("transport bench: only " + std::to_string(got) + " frames arrived");
  Throughput t;
  double mean_bytes = 0;
  for (const auto& f : frames) mean_bytes += double(f.size());
  mean_bytes /= double(frames.size());
  // Timed: from the arrival of image warmup+1 to the last one.
  t.frames = got - o.warmup - 1;
  t.seconds = seconds_between(t_warm, t_last);
  t.bytes = mean_bytes * double(t.frames);

  return t;
}

}  // namespace

Throughput TransportBenchResult::bridge() const { return median(bridge_runs); }
Throughput TransportBenchResult::raw() const { return median(raw_runs); }

TransportBenchResult run_transport_bench(const TransportBenchOptions& o) {
  TransportBenchResult r;
  const io::Sequence seq = io::read_sequence(o.file);
  std::vector<Bytes> frames;
  std::size_t transforms = 0;
  for (std::size_t i = 0; i < seq.frames.size(); ++i)
    if (seq.frames[i].image_valid) frames.push_back(frame_bytes(seq, i, &transforms));
  if (frames.empty()) throw std::runtime_error(o.file + ": no valid frame");
  r.frame = std::to_string(seq.frame_dims[0]) + "x" + std::to_string(seq.frame_dims[1]) + "x" +
            std::to_string(seq.frame_dims[2]) + " " + std::string(scalar_name(seq.scalar)) + " x" +
            std::to_string(seq.components) + " + " + std::to_string(transforms) + " TRANSFORM";
  // Alternate the two paths so drifts of the machine hit both alike.
  for (int i = 0; i < std::max(1, o.repeat); ++i) {
    r.bridge_runs.push_back(bench_bridge(o, frames, &r.dropped));
    r.raw_runs.push_back(bench_raw(frames, o.frames, o.warmup));
  }
  return r;
}

}  // namespace igtb
