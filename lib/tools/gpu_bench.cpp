#include "tools/gpu_bench.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <httplib.h>

#include "bridge/frame_report.hpp"
#include "bridge/health.hpp"
#include "tools/listen.hpp"
#include "tools/replay.hpp"

extern char** environ;

namespace igtb {

namespace {

using clock = std::chrono::steady_clock;

/// The process group of the child run_child waits for (0: none), for the signal handlers.
std::atomic<pid_t> g_child_group{0};
static_assert(std::atomic<pid_t>::is_always_lock_free, "read in a signal handler");

extern "C" void kill_child_and_exit(int sig) {
  const pid_t g = g_child_group.load();
  if (g > 0) ::kill(-g, SIGKILL);
  ::_exit(128 + sig);
}

/// waitpid, again after a signal; -1 with errno for a real failure.
pid_t wait_for(pid_t pid, int* status, int options) {
  for (;;) {
    const pid_t w = ::waitpid(pid, status, options);
    if (w >= 0 || errno != EINTR) return w;
  }
}

double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

/// TorchScript, AOTInductor, or which roles run AOTInductor packages when mixed
/// (scripts/compare_bench.py names runs the same way).
std::string model_format(const PipelineOptions& p) {
  if (p.kind == PipelineKind::Segment)
    return std::string(Model::is_aoti_spec(p.semantic.model) ? "AOTInductor" : "TorchScript") + " segmentation";
  std::vector<std::string> aoti;
  if (Model::is_aoti_spec(p.detector)) aoti.push_back("detector");
  if (Model::is_aoti_spec(p.encoder)) aoti.push_back("encoder");
  if (Model::is_aoti_spec(p.decoder)) aoti.push_back("decoder");
  if (aoti.empty()) return "TorchScript";
  if (aoti.size() == 3) return "AOTInductor";
  std::string s = "AOTInductor";
  for (std::size_t i = 0; i < aoti.size(); ++i) s += (i ? "+" : " ") + aoti[i];
  return s;
}

/// Whether `program` can be run: a path to an executable file, or a name found in PATH.
bool program_found(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

/// The last non-empty line of a file ("" when none), for an error message.
std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  if (last.size() > 300) last = last.substr(0, 300) + "...";
  return last;
}

LiveBenchResult run_live(const GpuBenchOptions& o) {
  LiveBenchResult r;
  r.ran = true;
  r.fps = o.live_fps;
  ReplayOptions ro;
  ro.files = {o.pipeline.file};
  ro.port = 0;
  ro.fps = o.live_fps;
  ro.loop = true;
  ro.count = o.live_frames;
  ro.wait_clients = 1;
  Replay replay(ro);
  replay.start();

  InferenceOptions io = o.live;
  io.relay.input_mode = "connect";
  io.relay.upstream.host = "127.0.0.1";
  io.relay.upstream.port = replay.port();
  io.relay.upstream.backoff_initial_s = 0.05;
  io.relay.upstream.backoff_max_s = 0.2;
  io.relay.downstream.bind = "127.0.0.1";
  io.relay.downstream.port = 0;
  io.kpi_path = o.live_kpi_path;
  io.record.dir.clear();
  InferenceBridge bridge(io, std::make_unique<Pipeline>(o.pipeline.pipeline));
  bridge.start();  // warms the pipeline up first (CUDA)

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> masks{0};
  ListenOptions lo;
  lo.port = bridge.output_port();
  lo.timeout_s = 0;
  ListenResult lr;
  std::exception_ptr listener_error;
  std::thread listener([&] {
    try {
      lr = listen(lo, stop, [](const std::string&) {}, [&](const Message& m) {
        if (m.type() == "IMAGE" && m.device() == io.mask_device) ++masks;
      });
    } catch (...) {  // rethrown after the join: an exception must not leave a thread
      listener_error = std::current_exception();
    }
  });
  // With the endpoint: the daemon's loop (health, pictures, a tick a second;
  // the tick's latencies left to the bench) and a browser's and a scraper's load.
  std::unique_ptr<WebMonitor> web;
  std::vector<std::thread> load;
  std::atomic<std::uint64_t> ticks{0}, pictures{0}, scrapes{0};
  if (o.live_monitoring) {
    WebOptions wo = o.web;
    wo.port = 0;
    wo.bind = "127.0.0.1";
    web = std::make_unique<WebMonitor>(bridge, wo);
    load.emplace_back([&] {  // the daemon's monitoring loop
      HealthTracker health(HealthOptions{});
      auto last_tick = clock::now();
      InferenceStats before = bridge.stats();
      while (!stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const auto now = clock::now();
        web->poll(health.update(health_sample(bridge, now)), now);
        if (seconds_since(last_tick) >= 1.0) {
          const InferenceStats s = bridge.stats();
          web->tick(MonitorTick{s, before, seconds_since(last_tick), 0, nullptr});
          before = s;
          last_tick = now;
        }
      }
    });
    load.emplace_back([&] {  // the dashboard: the event stream, each picture fetched
      httplib::Client events("127.0.0.1", web->port()), images("127.0.0.1", web->port());
      events.set_read_timeout(2, 0);
      while (!stop) {
        events.Get("/events", [&](const char* data, std::size_t n) {
          const std::string chunk(data, n);
          for (std::size_t at = 0; (at = chunk.find("event: ", at)) != std::string::npos; at += 7) {
            if (chunk.compare(at, 11, "event: tick") == 0) ++ticks;
            if (chunk.compare(at, 14, "event: overlay") == 0 && images.Get("/overlay.png")) ++pictures;
          }
          return !stop.load();
        });
      }
    });
    load.emplace_back([&] {  // Prometheus, scraping once a second
      httplib::Client scraper("127.0.0.1", web->port());
      while (!stop) {
        if (auto res = scraper.Get("/metrics"); res && res->status == 200) ++scrapes;
        for (int i = 0; i < 20 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  auto finish = [&] {
    stop = true;
    listener.join();
    if (web) web->stop();  // ends the event stream
    for (auto& t : load) t.join();
    bridge.stop();
    replay.stop();
  };
  try {
    const auto t0 = clock::now();
    // The label maps are timed to the socket write: a client first; and the bridge connected to the
    // replay, which otherwise waits for it without end.
    for (;;) {
      const InferenceStats s = bridge.stats();
      if (s.relay.clients >= 1 && s.relay.upstream_connected) break;
      if (seconds_since(t0) > 30)
        throw std::runtime_error(std::string("live run: ") +
                                 (s.relay.clients < 1 ? "the listener did not connect to the bridge"
                                                      : "the bridge did not connect to the replay") +
                                 " within 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.sent = replay.run().frames_sent;
    // The frames in hand: done once every frame received is processed or dropped.
    const auto t1 = clock::now();
    for (;;) {
      const InferenceStats s = bridge.stats();
      if (s.frames_in >= r.sent && s.processed + s.dropped >= s.frames_in) break;
      if (seconds_since(t1) > 30)
        throw std::runtime_error("live run: " + std::to_string(s.frames_in) + " of " + std::to_string(r.sent) +
                                 " frames received and " + std::to_string(s.processed) +
                                 " processed 30 s after the last was sent");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the last label maps to the listener
  } catch (...) {
    finish();
    throw;
  }
  finish();
  if (listener_error) std::rethrow_exception(listener_error);
  if (lr.exit_code != 0) throw std::runtime_error("live run: the listener: " + lr.error);
  const InferenceStats s = bridge.stats();
  r.received = s.frames_in;
  r.processed = s.processed;
  r.dropped = s.dropped;
  r.failed = s.failed;
  r.page_locked = s.page_locked;
  r.not_page_locked = s.not_page_locked;
  r.masks_received = masks.load();
  r.ticks = ticks.load();
  r.pictures = pictures.load();
  r.scrapes = scrapes.load();
  if (o.live_monitoring && (r.ticks == 0 || r.pictures == 0 || r.scrapes == 0))
    throw std::runtime_error("live run with monitoring: " + std::to_string(r.ticks) + " ticks, " +
                             std::to_string(r.pictures) + " pictures, " + std::to_string(r.scrapes) +
                             " scrapes: the browser's load did not happen");
  const StreamMetrics& sm = bridge.stream_metrics(0);
  for (std::size_t i = 0; i < kTimedStages; ++i)
    if (const Histogram::Snapshot h = sm.stages[i].snapshot(); h.count > 0)
      r.stage_means_ms.emplace_back(timed_stage_names()[i], 1e3 * h.sum_s / double(h.count));
  if (const Histogram::Snapshot h = sm.e2e.snapshot(); h.count > 0) r.bridge_e2e_mean_ms = 1e3 * h.sum_s / double(h.count);
  const std::vector<double> lat = bridge.take_latencies();
  if (lat.empty()) throw std::runtime_error("live run: no frame processed");
  r.first_ms = lat.front();
  const std::vector<double> steady = lat.size() > 10 ? std::vector<double>(lat.begin() + 10, lat.end()) : lat;
  r.e2e = summarize("e2e", steady);
  r.max_ms = *std::max_element(steady.begin(), steady.end());
  return r;
}

/// Where a reference run writes: STEM.json and STEM.log.
std::string reference_stem(const GpuBenchOptions& o, const ReferenceRun& run) {
  return o.work_dir + "/reference_" + run.mode + "_" + run.precision;
}

/// `text` without trailing newlines and spaces (a JSON file's text, to embed).
std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

ReferenceResult run_reference(const GpuBenchOptions& o, const ReferenceRun& run) {
  const std::string stem = reference_stem(o, run);
  std::vector<std::string> argv = o.reference;
  for (const std::string& a : {std::string("--recording"), o.pipeline.file, std::string("--frames"),
                               std::to_string(o.pipeline.frames), std::string("--mode"), run.mode,
                               std::string("--precision"), run.precision, std::string("--json"), stem + ".json"})
    argv.push_back(a);
  ReferenceResult r;
  std::remove((stem + ".json").c_str());  // a stale file must not pass for this run's
  try {
    const int rc = run_child(argv, stem + ".log", o.reference_timeout_s);
    if (rc != 0)
      r.error = (rc == 137 ? std::string("ended (SIGKILL, maybe past --reference-timeout)")
                           : "exit " + std::to_string(rc)) + ": " + last_line(stem + ".log");
    else
      r = read_reference_json(stem + ".json");
  } catch (const std::exception& e) {  // it could not start, or its JSON is not a result
    r.error = e.what();
  }
  r.run = run;
  r.name = "Python " + run.mode + " " + run.precision;
  r.json_path = stem + ".json";
  r.log_path = stem + ".log";
  return r;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string row(const std::string& name, double p50, double p95, double p99, double fps, double h2d, double d2h,
                double mib) {
  char buf[512];
  auto opt = [](double v, const char* f) { return v < 0 ? std::string("-") : fmt(f, v); };
  std::snprintf(buf, sizeof buf, "  %-58s %8.2f %8s %8.2f %9s %5s %5s %8s\n", name.c_str(), p50,
                opt(p95, "%.2f").c_str(), p99, opt(fps, "%.1f").c_str(), opt(h2d, "%.2f").c_str(),
                opt(d2h, "%.2f").c_str(), opt(mib, "%.0f").c_str());
  return buf;
}

const StageSummary& e2e_of(const PipelineBenchResult& r) { return r.stages.back(); }

std::string cxx_name(const GpuBenchOptions& o, const PipelineBenchResult& r) {
  return "C++ pipeline " + o.pipeline.pipeline.precision_label() +
         (o.pipeline.pipeline.cuda_graph && r.device != "cpu" ? ", graphs" : "") + ", " +
         model_format(o.pipeline.pipeline) + ", back to back";
}

}  // namespace

std::vector<ReferenceRun> parse_reference_runs(const std::string& list) {
  std::vector<ReferenceRun> runs;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto colon = item.find(':');
    ReferenceRun r{item.substr(0, colon), colon == std::string::npos ? "" : item.substr(colon + 1)};
    if ((r.mode != "eager" && r.mode != "compile") ||
        (r.precision != "fp32" && r.precision != "fp16" && r.precision != "bf16"))
      throw std::invalid_argument("reference run '" + item +
                                  "': expected MODE:PRECISION, MODE eager or compile, PRECISION fp32, fp16 or bf16");
    runs.push_back(r);
  }
  if (runs.empty()) throw std::invalid_argument("no reference run given (e.g. eager:fp32,compile:fp16)");
  return runs;
}

void kill_children_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = kill_child_and_exit;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

bool GpuBenchResult::references_ok() const {
  return std::all_of(references.begin(), references.end(), [](const ReferenceResult& r) { return r.error.empty(); });
}

int run_child(const std::vector<std::string>& argv, const std::string& log_path, double timeout_s) {
  if (argv.empty()) throw std::invalid_argument("run_child: no command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Its own process group, so a timeout ends its children too (torch.compile's workers).
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err != 0) throw std::runtime_error("cannot run '" + argv[0] + "': " + std::strerror(err));
  g_child_group = pid;
  int status = 0;
  // Whatever way this ends, nothing of the child's group outlives it (torch.compile's workers): the
  // group is killed while the child, exited but not yet reaped, still holds the group's id; then reaped.
  auto end_group = [&] {
    ::kill(-pid, SIGKILL);
    wait_for(pid, &status, 0);
    g_child_group = 0;
  };
  const auto t0 = clock::now();
  for (;;) {
    siginfo_t info{};
    const int w = ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (w == 0 && info.si_pid == pid) break;  // ended, not reaped yet
    if (w < 0 && errno != EINTR) {
      const int e = errno;
      end_group();
      throw std::runtime_error("waiting for '" + argv[0] + "': " + std::strerror(e) +
                               (e == ECHILD ? " (is SIGCHLD ignored?)" : ""));
    }
    if (timeout_s > 0 && seconds_since(t0) > timeout_s) {
      end_group();
      return 137;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  end_group();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

ReferenceResult read_reference_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": no such file (the reference wrote no --json)");
  std::stringstream text;
  text << in.rdbuf();
  ReferenceResult r;
  r.json = text.str();
  try {
    const YAML::Node d = YAML::Load(r.json);  // JSON is YAML's flow style
    if (!d.IsMap()) throw std::runtime_error("not an object");
    auto need = [&](const char* key) {
      if (!d[key] || !d[key].IsScalar()) throw std::runtime_error(std::string("no number '") + key + "'");
      return d[key].as<double>();
    };
    r.p50 = need("p50_ms");
    r.p95 = d["p95_ms"] && d["p95_ms"].IsScalar() ? d["p95_ms"].as<double>() : -1;
    r.p99 = need("p99_ms");
    r.fps = need("fps");
    if (const YAML::Node c = d["copies"]; c && c.IsMap()) {
      if (c["h2d_per_frame"]) r.h2d = c["h2d_per_frame"].as<double>();
      if (c["d2h_per_frame"]) r.d2h = c["d2h_per_frame"].as<double>();
    }
    if (const YAML::Node m = d["gpu_memory_mib"]; m && m.IsScalar() && m.Scalar() != "null")
      r.gpu_memory_mib = m.as<double>();
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path + ": not a reference_pipeline.py result (" + e.msg + ")");
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": not a reference_pipeline.py result (" + e.what() + ")");
  }
  if (!(r.p50 > 0)) throw std::runtime_error(path + ": not a reference_pipeline.py result (p50_ms is not positive)");
  return r;
}

GpuBenchResult run_gpu_bench(const GpuBenchOptions& options, const std::function<void(const std::string&)>& progress) {
  GpuBenchOptions o = options;
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  // A reference that cannot run fails before the minutes of C++ runs, not after them.
  if (!o.reference.empty()) {
    if (!program_found(o.reference[0]))
      throw std::invalid_argument("reference: cannot run '" + o.reference[0] + "' (no such program" +
                                  (o.reference[0].find('/') == std::string::npos ? " in PATH)" : ")"));
    if (o.work_dir.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "igtbridge-bench-XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot make a folder for the references: " + tmpl);
      o.work_dir = tmpl;
    } else if (!std::filesystem::is_directory(o.work_dir)) {
      throw std::invalid_argument("reference: no folder '" + o.work_dir + "' for its results");
    }
  }
  GpuBenchResult r;
  say("C++ pipeline, back to back: " + std::to_string(o.pipeline.frames) + " frames");
  r.pipeline = run_pipeline_bench(o.pipeline);
  if (o.live_frames > 0) {
    say("C++ live: replay at " + fmt("%g", o.live_fps) + " frames/s -> igtbridge -> listener, " +
        std::to_string(o.live_frames) + " frames");
    r.live = run_live(o);
  }
  if (!o.reference.empty())
    for (const auto& run : o.references) {
      say("reference " + run.mode + " " + run.precision + " (log: " + reference_stem(o, run) + ".log)");
      r.references.push_back(run_reference(o, run));
    }
  return r;
}

std::string gpu_bench_table(const GpuBenchOptions& o, const GpuBenchResult& r) {
  const PipelineBenchResult& p = r.pipeline;
  std::string s = "GPU benchmark: " + p.frame + " frames of " + o.pipeline.file + ", device " + p.device + ", " +
                  std::to_string(p.frames) + " timed frames each\n";
  char head[256];
  std::snprintf(head, sizeof head, "  %-58s %8s %8s %8s %9s %5s %5s %8s\n", "run (e2e)", "p50 ms", "p95 ms", "p99 ms",
                "frames/s", "H2D", "D2H", "GPU MiB");
  s += head;
  if (r.live.ran)
    s += row("C++ live, sockets: IMAGE in -> label map out, " + fmt("%g", r.live.fps) + "/s" +
                 (o.live_monitoring ? ", monitored" : ""),
             r.live.e2e.p50, r.live.e2e.p95, r.live.e2e.p99, -1, -1, -1, -1);
  const double n = double(p.copy_frames);
  const bool gpu = p.device != "cpu";
  s += row(cxx_name(o, p), e2e_of(p).p50, e2e_of(p).p95, e2e_of(p).p99, p.fps(),
           p.copy_frames ? double(p.copies.h2d) / n : -1, p.copy_frames ? double(p.copies.d2h) / n : -1,
           gpu ? p.gpu_memory_mib : -1);
  for (const auto& ref : r.references)
    if (ref.error.empty())
      s += row(ref.name + ", back to back", ref.p50, ref.p95, ref.p99, ref.fps, ref.h2d, ref.d2h, ref.gpu_memory_mib);
    else
      s += "  " + ref.name + ": FAILED, " + ref.error + " (log: " + ref.log_path + ")\n";
  s += "  C++ stages, back to back (p50 ms):";
  for (std::size_t i = 0; i + 1 < p.stages.size(); ++i) s += " " + p.stages[i].name + " " + fmt("%.2f", p.stages[i].p50);
  s += "\n";
  if (r.live.ran)
    s += "  live: " + std::to_string(r.live.sent) + " sent, " + std::to_string(r.live.processed) + " processed, " +
         std::to_string(r.live.dropped) + " dropped busy, " + std::to_string(r.live.failed) + " failed, " +
         std::to_string(r.live.masks_received) + " label maps received; first frame " + fmt("%.1f", r.live.first_ms) +
         " ms; e2e max " + fmt("%.2f", r.live.max_ms) + (gpu ? "; " + std::to_string(r.live.page_locked) + " received page-locked, " +
                         std::to_string(r.live.not_page_locked) + " not"
                   : std::string()) +
         (o.live_monitoring ? "; monitoring endpoint on: " + std::to_string(r.live.ticks) + " ticks and " +
                                  std::to_string(r.live.pictures) + " pictures to a dashboard, " +
                                  std::to_string(r.live.scrapes) + " /metrics scrapes"
                            : std::string()) +
         "\n";
  if (r.live.ran && !r.live.stage_means_ms.empty()) {
    double sum = 0;
    s += "  live stages (mean ms, host clock):";
    for (const auto& [name, ms] : r.live.stage_means_ms) {
      s += " " + name + " " + fmt("%.2f", ms);
      if (name != "contours" && name != "encode") sum += ms;  // after the label map is out / partly so
    }
    s += "; e2e mean " + fmt("%.2f", r.live.bridge_e2e_mean_ms) +
         ", of which outside decode and the pipeline (hand-offs, label map encode and send) " +
         fmt("%.2f", r.live.bridge_e2e_mean_ms - sum) + "\n";
  }
  for (const auto& ref : r.references)
    if (ref.error.empty() && e2e_of(p).p50 > 0)
      s += "  speed-up over " + ref.name + ": " + fmt("%.2f", ref.p50 / e2e_of(p).p50) + "x (p50, back to back)\n";
  return s;
}

std::string gpu_bench_json(const GpuBenchOptions& o, const GpuBenchResult& r) {
  auto num = [](double v) { return json_number(v, 4); };
  std::string j = "{\"tool\": \"igtbridge-bench gpu\", \"pipeline\": " +
                  trimmed(pipeline_bench_json(o.pipeline, r.pipeline)) + ", \"live\": ";
  if (r.live.ran) {
    j += "{\"fps\": " + num(r.live.fps) + ", \"sent\": " + std::to_string(r.live.sent) +
         ", \"received\": " + std::to_string(r.live.received) + ", \"processed\": " +
         std::to_string(r.live.processed) + ", \"dropped\": " + std::to_string(r.live.dropped) +
         ", \"failed\": " + std::to_string(r.live.failed) + ", \"label_maps_received\": " +
         std::to_string(r.live.masks_received) + ", \"page_locked\": " + std::to_string(r.live.page_locked) +
         ", \"not_page_locked\": " + std::to_string(r.live.not_page_locked) + ", \"first_ms\": " +
         num(r.live.first_ms) + ", \"monitoring\": " + (o.live_monitoring ? "true" : "false") + ", \"ticks\": " +
         std::to_string(r.live.ticks) + ", \"pictures\": " + std::to_string(r.live.pictures) + ", \"scrapes\": " +
         std::to_string(r.live.scrapes) + ", \"e2e_ms\": {\"p50\": " + num(r.live.e2e.p50) + ", \"p95\": " +
         num(r.live.e2e.p95) + ", \"p99\": " + num(r.live.e2e.p99) + ", \"mean\": " + num(r.live.e2e.mean) + ", \"max\": " + num(r.live.max_ms) + "}}";
  } else {
    j += "null";
  }
  j += ", \"references\": [";
  const double cxx_p50 = e2e_of(r.pipeline).p50;
  for (std::size_t i = 0; i < r.references.size(); ++i) {
    const auto& ref = r.references[i];
    j += std::string(i ? ", " : "") + "{\"name\": " + json_string(ref.name) + ", \"mode\": " +
         json_string(ref.run.mode) + ", \"precision\": " + json_string(ref.run.precision) +
         ", \"error\": " + json_string(ref.error) + ", \"speedup_p50\": " +
         (ref.error.empty() && cxx_p50 > 0 ? num(ref.p50 / cxx_p50) : std::string("null")) +
         ", \"result\": " + (ref.error.empty() ? trimmed(ref.json) : std::string("null")) + "}";
  }
  return j + "]}\n";
}

}  // namespace igtb
