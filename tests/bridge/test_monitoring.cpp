// The monitoring endpoint's parts: histograms and the Prometheus text, the
// health decision, the PNG and the overlay picture, systemd notifications,
// and the endpoint itself in front of a running bridge (a real socket, a
// real HTTP client: cpp-httplib's).
#include <httplib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "../support/eventually.hpp"
#include "../support/synthetic_scene.hpp"
#include "../support/two_class_model.hpp"
#include "bridge/health.hpp"
#include "bridge/metrics.hpp"
#include "bridge/options.hpp"
#include "bridge/overlay.hpp"
#include "bridge/systemd_notify.hpp"
#include "bridge/web_monitor.hpp"
#include "io/png_writer.hpp"
#include "io/zlib_inflate.hpp"
#include <zlib.h>
#include "transport/image_codec.hpp"
#include "transport/socket.hpp"

#include "../support/catch.hpp"

using namespace igtb;
using namespace std::chrono_literals;

namespace {

/// Samples of the text format: name{labels} value, by name and labels.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

/// The RGB pixels of a PNG encode_png_rgb wrote (one IDAT, filter 0 rows), checking its chunks.
std::vector<std::uint8_t> decode_png(const std::vector<std::uint8_t>& png, int& w, int& h) {
  REQUIRE(png.size() > 8);
  REQUIRE(std::equal(png.begin(), png.begin() + 8, std::vector<std::uint8_t>{0x89, 'P', 'N', 'G', 13, 10, 26, 10}.begin()));
  std::vector<std::uint8_t> idat;
  std::size_t at = 8;
  std::vector<std::string> types;
  while (at + 12 <= png.size()) {
    const std::uint32_t len = be32(&png[at]);
    const std::string type(png.begin() + at + 4, png.begin() + at + 8);
    types.push_back(type);
    const std::uint32_t crc = be32(&png[at + 8 + len]);
    CHECK(crc == crc32(0L, &png[at + 4], len + 4));
    if (type == "IHDR") {
      w = int(be32(&png[at + 8]));
      h = int(be32(&png[at + 12]));
      CHECK(png[at + 16] == 8);  // bit depth
      CHECK(png[at + 17] == 2);  // RGB
    }
    if (type == "IDAT") idat.insert(idat.end(), png.begin() + at + 8, png.begin() + at + 8 + len);
    at += 12 + len;
  }
  CHECK(types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});
  std::vector<std::uint8_t> raw(std::size_t(h) * (std::size_t(w) * 3 + 1));
  io::inflate_exact(idat.data(), idat.size(), raw.data(), raw.size());
  std::vector<std::uint8_t> rgb;
  for (int y = 0; y < h; ++y) {
    const auto* row = &raw[std::size_t(y) * (std::size_t(w) * 3 + 1)];
    CHECK(row[0] == 0);
    rgb.insert(rgb.end(), row + 1, row + 1 + std::size_t(w) * 3);
  }
  return rgb;
}

}  // namespace

TEST_CASE("a histogram counts each observation in the first bucket whose bound is not below it") {
  Histogram h;
  for (double s : {0.0001, 0.0005, 0.0031, 0.004, 2.0}) h.observe(s);
  const auto snap = h.snapshot();
  CHECK(snap.count == 5);
  CHECK(snap.sum_s == Approx(2.0077).margin(1e-6));
  CHECK(snap.buckets[0] == 2);  // <= 0.5 ms, the bound itself included
  CHECK(snap.buckets[4] == 2);  // (3 ms, 4 ms]
  CHECK(snap.buckets.back() == 1);  // > 1 s
}

TEST_CASE("a stream's metrics take a frame's stages by name, and tell how long the frame in hand has taken") {
  StreamMetrics m;
  m.observe(12.5, {{"decode", 0.2}, {"detect", 3.0}, {"encode", 0.4}, {"something else", 9.0}}, 2);
  CHECK(m.e2e.snapshot().count == 1);
  CHECK(m.stages[0].snapshot().count == 1);                       // decode
  CHECK(m.stages[1 + std::size_t(Stage::Detect)].snapshot().sum_s == Approx(0.003));
  CHECK(m.stages[kTimedStages - 1].snapshot().count == 1);        // encode
  CHECK(m.stages[1].snapshot().count == 0);                       // upload: not in this frame
  CHECK(m.tracks_visible.load() == 2);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(m.busy_for_s(t0) == 0);
  m.begin_frame(t0);
  CHECK(m.busy_for_s(t0 + 3s) == Approx(3.0));
  m.end_frame();
  CHECK(m.busy_for_s(t0 + 3s) == 0);
  CHECK(std::string(timed_stage_names().front()) == "decode");
  CHECK(std::string(timed_stage_names().back()) == "encode");
}

TEST_CASE("the Prometheus text: every family declared once before its samples, cumulative buckets, streams labelled") {
  MetricsSnapshot m;
  m.version = "igtbridge 1.0 \"x\"";
  m.model_device = "cpu";
  m.precision = "fp32";
  for (const char* name : {"Image_A", "Image_B"}) {
    MetricsSnapshot::Stream s;
    s.name = name;
    s.frames_in = 10;
    s.processed = 9;
    s.dropped = 1;
    Histogram h;
    for (double v : {0.002, 0.003, 0.02, 3.0}) h.observe(v);
    s.e2e = h.snapshot();
    m.streams.push_back(s);
  }
  m.gpu_memory_bytes = 1024;
  const std::string text = prometheus_text(m);
  // Declared once each, # HELP then # TYPE, before the family's first sample.
  std::map<std::string, int> declared;
  std::set<std::string> seen_samples;
  std::istringstream in(text);
  std::string line, last_help;
  const std::regex sample_re(R"(^(igtbridge_[a-z0-9_]+)(\{[^}]*\})? (\S+)$)");
  while (std::getline(in, line)) {
    INFO(line);
    if (line.rfind("# HELP ", 0) == 0) {
      last_help = line.substr(7, line.find(' ', 7) - 7);
      CHECK(++declared[last_help] == 1);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      CHECK(line.substr(7, line.find(' ', 7) - 7) == last_help);
      continue;
    }
    std::smatch mt;
    REQUIRE(std::regex_match(line, mt, sample_re));
    std::string family = mt[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!declared.count(family) && family.size() > std::strlen(suffix) &&
          family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        family.resize(family.size() - std::strlen(suffix));
    CHECK(declared.count(family) == 1);
  }
  const auto s = samples(text);
  CHECK(s.at("igtbridge_frames_received_total{stream=\"Image_A\"}") == 10);
  CHECK(s.at("igtbridge_frames_dropped_total{stream=\"Image_B\"}") == 1);
  CHECK(s.at("igtbridge_e2e_latency_seconds_bucket{stream=\"Image_A\",le=\"0.002\"}") == 1);
  CHECK(s.at("igtbridge_e2e_latency_seconds_bucket{stream=\"Image_A\",le=\"0.003\"}") == 2);
  CHECK(s.at("igtbridge_e2e_latency_seconds_bucket{stream=\"Image_A\",le=\"1\"}") == 3);
  CHECK(s.at("igtbridge_e2e_latency_seconds_bucket{stream=\"Image_A\",le=\"+Inf\"}") == 4);
  CHECK(s.at("igtbridge_e2e_latency_seconds_count{stream=\"Image_A\"}") == 4);
  CHECK(s.at("igtbridge_e2e_latency_seconds_sum{stream=\"Image_A\"}") == Approx(3.025));
  CHECK(s.count("igtbridge_stage_latency_seconds_count{stream=\"Image_B\",stage=\"contours\"}") == 1);
  CHECK(s.at("igtbridge_gpu_memory_bytes") == 1024);
  CHECK(text.find("version=\"igtbridge 1.0 \\\"x\\\"\"") != std::string::npos);
  // One stream: no stream label.
  m.streams.resize(1);
  m.gpu_memory_bytes = -1;
  const std::string one = prometheus_text(m);
  CHECK(one.find("stream=") == std::string::npos);
  CHECK(samples(one).at("igtbridge_frames_processed_total") == 9);
  CHECK(one.find("igtbridge_gpu_memory_bytes") == std::string::npos);
  CHECK(prometheus_label("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
}

TEST_CASE("health: waiting for upstream is healthy; a stuck worker, upstream lost too long, or all frames failing is not") {
  HealthOptions o;
  o.stuck_after_s = 2;
  o.upstream_timeout_s = 5;
  o.window_s = 3;
  HealthTracker t(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto at = [&](double s) { return t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s)); };
  Health h = t.update({at(0), false, 0, 0, 0, 0});
  CHECK(h.ok);
  CHECK(h.json.find("\"not connected yet\"") != std::string::npos);
  h = t.update({at(100), false, 0, 0, 0, 0});  // never connected: still waiting, still healthy
  CHECK(h.ok);
  h = t.update({at(101), true, 1, 10, 0, 0.5});
  CHECK(h.ok);
  CHECK(h.json.find("\"status\": \"ok\"") != std::string::npos);
  h = t.update({at(102), true, 1, 20, 0, 2.5});  // on one frame for 2.5 s
  CHECK_FALSE(h.ok);
  CHECK(h.stuck);  // what a restart cures: systemd's watchdog goes unfed
  CHECK_THAT(h.reason, Catch::Contains("one frame for 2.5 s"));
  CHECK(h.json.find("\"status\": \"unhealthy\"") != std::string::npos);
  h = t.update({at(103), false, 1, 20, 0, 0});  // upstream lost
  CHECK(h.ok);
  h = t.update({at(107.5), false, 1, 20, 0, 0});
  CHECK(h.ok);  // 4.5 s: within the timeout
  h = t.update({at(108.5), false, 1, 20, 0, 0});
  CHECK_FALSE(h.ok);
  CHECK_FALSE(h.stuck);  // a restart would not bring PlusServer back
  CHECK_THAT(h.reason, Catch::Contains("upstream (PlusServer) lost 6 s ago"));
  h = t.update({at(109), true, 2, 20, 0, 0});  // back
  CHECK(h.ok);
  // Failing frames: unhealthy only when every frame of the window failed.
  h = t.update({at(110), true, 2, 25, 3, 0});
  CHECK(h.ok);
  h = t.update({at(113.5), true, 2, 35, 8, 0});  // the window (110..113.5): 10 frames, 5 failed
  CHECK(h.ok);
  h = t.update({at(117), true, 2, 45, 18, 0});  // 113.5..117: 10 frames, 10 failed
  CHECK_FALSE(h.ok);
  CHECK_THAT(h.reason, Catch::Contains("every frame of the last 3 s failed"));
  h = t.update({at(121), true, 2, 45, 18, 0});  // no frames at all (the probe frozen): not a failure
  CHECK(h.ok);
}

TEST_CASE("the PNG writer: three chunks with their CRCs, the pixels inflate back unchanged") {
  const int w = 37, h = 11;
  std::vector<std::uint8_t> rgb(std::size_t(w) * h * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = std::uint8_t(i * 7 + 3);
  int dw = 0, dh = 0;
  const auto back = decode_png(io::encode_png_rgb(rgb.data(), w, h), dw, dh);
  CHECK(dw == w);
  CHECK(dh == h);
  CHECK(back == rgb);
  CHECK_THROWS_AS(io::encode_png_rgb(rgb.data(), 0, h), std::invalid_argument);
}

TEST_CASE("the overlay picture: the frame downscaled, labels filled in colour, their outlines solid") {
  const test::Scene scene = test::two_class_scene();
  const Image img = test::scene_image(scene, 0);
  std::vector<std::uint8_t> labels(std::size_t(scene.width) * scene.height, 0);
  // A 40x40 square of label 1 at (100, 80).
  for (int y = 80; y < 120; ++y)
    for (int x = 100; x < 140; ++x) labels[std::size_t(y) * scene.width + x] = 1;
  OverlayFrame f;
  downscale_for_overlay(img, labels.data(), scene.width / 2, f);
  CHECK(f.width == scene.width / 2);
  CHECK(f.height == scene.height / 2);
  const auto rgb = render_overlay_rgb(f);
  auto px = [&](int x, int y) { return &rgb[(std::size_t(y) * f.width + x) * 3]; };
  // Inside (60, 50) at half scale: tinted red; on the outline (50, 50): pure palette red; outside: grey.
  CHECK(int(px(60, 50)[0]) > int(px(60, 50)[1]));
  CHECK(px(50, 50)[0] == 255);
  CHECK(px(50, 50)[1] == 64);
  CHECK(px(10, 10)[0] == px(10, 10)[1]);
  int w = 0, h = 0;
  CHECK(decode_png(render_overlay_png(f), w, h) == rgb);
  // The tap: nothing until armed, then one frame.
  OverlayTap tap;
  OverlayFrame out;
  tap.capture(img, labels.data(), "Image_Reference", 7, 1.5);
  CHECK_FALSE(tap.take(out));
  tap.arm(100);
  CHECK(tap.armed());
  tap.capture(img, labels.data(), "Image_Reference", 7, 1.5);
  CHECK_FALSE(tap.armed());
  REQUIRE(tap.take(out));
  CHECK(out.width == 100);
  CHECK(out.device == "Image_Reference");
  CHECK(out.frame == 7);
  CHECK_FALSE(tap.take(out));
}

TEST_CASE("systemd notifications go to $NOTIFY_SOCKET; the watchdog interval comes from $WATCHDOG_USEC") {
  const std::string path = (std::filesystem::temp_directory_path() / ("igtb_notify_" + std::to_string(::getpid()))).string();
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(notify_systemd("READY=1"));
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  CHECK(notify_systemd("WATCHDOG=1"));
  char buf[64] = {};
  CHECK(::recv(fd, buf, sizeof buf - 1, 0) == 10);
  CHECK(std::string(buf) == "WATCHDOG=1");
  ::unsetenv("NOTIFY_SOCKET");
  ::close(fd);
  ::unlink(path.c_str());

  ::unsetenv("WATCHDOG_PID");
  ::setenv("WATCHDOG_USEC", "20000000", 1);
  CHECK(systemd_watchdog_s() == Approx(20.0));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK(systemd_watchdog_s() == 0);  // meant for another process
  ::unsetenv("WATCHDOG_PID");
  ::setenv("WATCHDOG_USEC", "x", 1);
  CHECK(systemd_watchdog_s() == 0);
  ::unsetenv("WATCHDOG_USEC");
}

namespace {

/// A bridge (segment shape, two-class network, listen mode) with the
/// endpoint in front of it on an ephemeral port.
struct WebRig {
  InferenceBridge bridge;
  std::unique_ptr<WebMonitor> web;
  Socket sender;

  static InferenceOptions options() {
    InferenceOptions io;
    io.relay.input_mode = "listen";
    io.relay.upstream.port = 0;
    io.relay.downstream.port = 0;
    return io;
  }
  explicit WebRig(std::vector<std::string> allow = {})
      : bridge(options(), std::make_unique<Pipeline>(pipeline_options(config::default_config(
                              {"pipeline.kind=segment",
                               config::quoted_override("models.segmentation",
                                                       test::save_two_class_model("web_two_class", 160))})))) {
    bridge.start();
    WebOptions o;
    o.port = 0;
    o.allow = std::move(allow);
    o.overlay_fps = 10;
    o.version = "igtbridge test";
    o.model_device = "cpu";
    o.precision = "fp32";
    web = std::make_unique<WebMonitor>(bridge, o);
    sender = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
  }
  ~WebRig() {
    web->stop();
    bridge.stop();
  }
  void send(const test::Scene& scene, int f) {
    const Bytes b = encode_image(Envelope{"IMAGE", "Image_Reference", timestamp_from_seconds(10.0 + f), 1, 0, {}},
                                 test::scene_image(scene, f));
    sender.send_all(b.data(), b.size());
  }
};

}  // namespace

TEST_CASE("the endpoint serves health, metrics, the page and events in front of a running bridge; read-only") {
  WebRig rig;
  httplib::Client http("127.0.0.1", rig.web->port());
  http.set_read_timeout(10, 0);
  const test::Scene scene = test::two_class_scene();

  HealthTracker tracker(HealthOptions{});
  auto poll = [&] { rig.web->poll(tracker.update(health_sample(rig.bridge, std::chrono::steady_clock::now()))); };
  poll();
  auto r = http.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  CHECK(r->body.find("\"status\": \"ok\"") != std::string::npos);

  for (int f = 0; f < 5; ++f) {  // one at a time: the mailbox keeps only the newest
    rig.send(scene, f);
    REQUIRE(test::eventually([&] { return rig.bridge.stats().processed == std::uint64_t(f) + 1; }, 30s));
  }
  r = http.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  const auto s = samples(r->body);
  CHECK(s.at("igtbridge_frames_processed_total") == 5);
  CHECK(s.at("igtbridge_e2e_latency_seconds_count") == 5);
  CHECK(s.at("igtbridge_stage_latency_seconds_count{stage=\"segment\"}") == 5);
  CHECK(s.at("igtbridge_upstream_connected") == 1);
  CHECK(s.at("igtbridge_up") == 1);
  CHECK(s.at("igtbridge_tracks_visible") >= 1);

  r = http.Get("/");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.find("<title>igtbridge</title>") != std::string::npos);
  CHECK(r->body.find("new EventSource(\"/events\")") != std::string::npos);
  CHECK(r->body.find("http://") == std::string::npos);  // nothing fetched from elsewhere
  CHECK(r->body.find("https://") == std::string::npos);

  // Read-only: no other method does anything.
  for (const int which : {0, 1, 2}) {
    const httplib::Result res = which == 0   ? http.Post("/", "x", "text/plain")
                                : which == 1 ? http.Put("/metrics", "x", "text/plain")
                                             : http.Delete("/healthz");
    REQUIRE(res);
    CHECK(res->status == 405);
  }
  r = http.Get("/overlay.png");
  REQUIRE(r);
  CHECK(r->status == 404);  // no page open yet: no picture made

  // An event stream: ticks from the monitor, a picture once frames come while it is open.
  std::string events;
  std::atomic<bool> got{false};
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", rig.web->port());
    c.set_read_timeout(10, 0);
    c.Get("/events", [&](const char* data, std::size_t n) {
      events.append(data, n);
      const bool done = events.find("event: overlay") != std::string::npos && events.find("event: tick") != std::string::npos;
      if (done) got = true;
      return !done;
    });
  });
  REQUIRE(test::eventually([&] { return rig.web->event_clients() == 1; }, 10s));
  MonitorTick tick;
  tick.now = rig.bridge.stats();
  tick.seconds = 1;
  std::vector<double> lat{3.0, 4.0};
  tick.latencies_ms = &lat;
  rig.web->tick(tick);
  int f = 5;
  REQUIRE(test::eventually([&] {
    poll();
    rig.send(scene, f++);
    std::this_thread::sleep_for(50ms);
    return got.load();
  }, 30s));
  reader.join();
  CHECK(events.find("\"fps_in\"") != std::string::npos);
  CHECK(events.find("\"stages_mean_ms\": {\"decode\": ") != std::string::npos);
  CHECK(events.find("\"healthy\": true") != std::string::npos);
  CHECK(rig.web->pictures() >= 1);
  r = http.Get("/overlay.png");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "image/png");
  int w = 0, h = 0;
  const auto rgb = decode_png(std::vector<std::uint8_t>(r->body.begin(), r->body.end()), w, h);
  CHECK(w == scene.width);  // narrower than http.overlay_width: not scaled
  std::size_t coloured = 0;
  for (std::size_t i = 0; i < rgb.size(); i += 3) coloured += rgb[i] != rgb[i + 1] || rgb[i + 1] != rgb[i + 2];
  CHECK(coloured > 100);  // the scene's objects, labelled
  // A page opened later gets the history (the tick above) and the latest picture at once.
  {
    httplib::Client late("127.0.0.1", rig.web->port());
    late.set_read_timeout(5, 0);
    std::string first;
    late.Get("/events", [&](const char* data, std::size_t n) {
      first.append(data, n);
      return first.find("event: overlay") == std::string::npos;
    });
    CHECK(first.find("event: tick") != std::string::npos);
    CHECK(first.find("\"e2e_p50_ms\": 3.50") != std::string::npos);
    CHECK(first.find("event: overlay") != std::string::npos);
  }
  r = http.Get("/api/summary");
  REQUIRE(r);
  CHECK(r->body.find("\"e2e_p50_ms\": 3.50") != std::string::npos);

  // Unhealthy: 503 with the reason.
  Health bad;
  bad.ok = false;
  bad.reason = "a test";
  bad.json = R"({"status": "unhealthy", "reason": "a test"})";
  rig.web->poll(bad);
  r = http.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body.find("a test") != std::string::npos);
  CHECK(samples(http.Get("/metrics")->body).at("igtbridge_up") == 0);
}

TEST_CASE("the endpoint refuses peers outside its allow-list and a port already taken, naming the key") {
  WebRig rig({"10.0.0.0/8"});
  httplib::Client http("127.0.0.1", rig.web->port());
  for (const char* path : {"/healthz", "/metrics", "/", "/events"}) {
    auto r = http.Get(path);
    REQUIRE(r);
    CHECK(r->status == 403);
  }
  WebOptions o;
  o.port = rig.web->port();
  try {
    WebMonitor second(rig.bridge, o);
    FAIL("a second endpoint on a taken port");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("http.port"));
  }
}
