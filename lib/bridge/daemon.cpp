#include "bridge/daemon.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include "bridge/monitor.hpp"
#include "bridge/options.hpp"
#include "bridge/relay.hpp"
#include "bridge/reload.hpp"
#include "bridge/systemd_notify.hpp"
#include "bridge/web_monitor.hpp"
#include "pipeline/cuda/transfer.hpp"
#include "models/torch_info.hpp"

namespace igtb {

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

}  // namespace

std::string config_source(const std::string& given) {
  if (!given.empty()) return given;
  return ::access(kSystemConfigPath, F_OK) == 0 ? kSystemConfigPath : "";
}

config::BridgeConfig read_config(const std::string& path, const std::vector<std::string>& overrides) {
  return path.empty() ? config::default_config(overrides) : config::load_config(path, overrides);
}

std::string torch_text() { return "LibTorch " + torch_version() + ", " + torch_devices(); }

void log_startup(const config::BridgeConfig& cfg, const std::string& version) {
  spdlog::info("{}, {}", version, cfg.pipeline.enabled ? "pipeline mode" : "relay mode");
  if (cfg.output.bind != "127.0.0.1")
    spdlog::warn("output.bind {}: reachable from other machines; OpenIGTLink has no authentication{}", cfg.output.bind,
                 cfg.output.allow.empty() ? " and output.allow is empty (any peer may connect)" : "");
  if (cfg.input.mode == "listen" && cfg.input.bind != "127.0.0.1")
    spdlog::warn("input.bind {}: senders from other machines can connect; OpenIGTLink has no authentication{}",
                 cfg.input.bind, cfg.input.allow.empty() ? " and input.allow is empty (any peer may connect)" : "");
}

std::vector<std::unique_ptr<Pipeline>> load_pipelines(const config::BridgeConfig& cfg) {
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  if (!cfg.pipeline.enabled) return pipelines;
  const std::size_t n = pipeline_count(cfg);  // one per IMAGE device when several are listed
  for (std::size_t i = 0; i < n; ++i) {
    const Pipeline& p = *pipelines.emplace_back(std::make_unique<Pipeline>(stream_pipeline_options(cfg, i)));
    const std::string which =
        n > 1 ? fmt::format(" for {} (pipeline {} of {})", cfg.input.image_devices[i], i + 1, n) : "";
    if (p.options().kind == PipelineKind::Segment) {
      const SemanticModel& m = p.semantic();
      std::string names;
      for (const auto& n : m.class_names) names += (names.empty() ? "" : ", ") + n;
      spdlog::info("models{} on {} ({}): segmentation {} ({} classes with background{}, input [1, {}, {}, {}] from "
                   "{}, normalization {}); warm-up frame {:.1f} ms",
                   which, p.device().str(), p.options().precision, cfg.models.segmentation, m.classes,
                   names.empty() ? "" : ": " + names, m.in_channels, m.input_size, m.input_size, m.settings_from,
                   normalization_name(p.options().semantic.normalization), p.counters().warmup_ms);
      continue;
    }
    const auto& d = p.detector();
    spdlog::info("models{} on {} ({}): detector {} ({} queries, {} classes, input {}), segmenter {} + {} (masks {}); "
                 "warm-up frame {:.1f} ms",
                 which, p.device().str(), p.options().precision_label(), cfg.models.detector, d.queries, d.classes,
                 d.input_size, cfg.models.encoder, cfg.models.decoder, p.segmenter().mask_size, p.counters().warmup_ms);
  }
  return pipelines;
}

std::unique_ptr<InferenceBridge> make_bridge(const config::BridgeConfig& cfg,
                                             std::vector<std::unique_ptr<Pipeline>> pipelines) {
  return std::make_unique<InferenceBridge>(inference_options(cfg), std::move(pipelines));
}

void run_bridge(InferenceBridge& bridge, const config::BridgeConfig& cfg, const std::function<bool()>& stop,
                const ReloadSource& reload, const std::string& version) {
  using clock = std::chrono::steady_clock;
  const std::string device = bridge.model_device();
  bridge.start();
  std::unique_ptr<WebMonitor> web;
  MonitorOptions mo = monitor_options(cfg, device);
  if (cfg.http.port != 0) {
    WebOptions wo = web_options(cfg, device, version);
    if (device != "cpu")
      wo.gpu_memory_bytes = [device] { return double(device_memory_in_use(torch::Device(device))); };
    try {
      web = std::make_unique<WebMonitor>(bridge, std::move(wo));
      mo.on_tick = [w = web.get()](const MonitorTick& t) { w->tick(t); };
    } catch (const std::exception& e) {
      // An observer only: the frames to Slicer matter more than the page about them.
      spdlog::error("{}; the bridge runs on without it", e.what());
    }
  }
  Monitor monitor(bridge, std::move(mo));
  HealthTracker health(health_options(cfg));
  SystemdWatchdog watchdog;
  bool was_ok = true;
  std::optional<Reloader> reloader;
  if (reload.requested && reload.read) reloader.emplace(bridge, cfg, reload.read);
  notify_systemd("READY=1");
  while (!stop()) {
    std::this_thread::sleep_for(kPoll);
    const auto now = clock::now();
    const Health h = health.update(health_sample(bridge, now));
    if (h.ok != was_ok) {
      if (h.ok) spdlog::info("health: ok again");
      else spdlog::warn("health: unhealthy: {}", h.reason);
      was_ok = h.ok;
    }
    // The watchdog goes unfed while a worker is stuck (or this loop hangs): systemd restarts the
    // bridge (WatchdogSec). Not for upstream lost or failing frames: a restart cures neither.
    watchdog.feed_if_due(now, !h.stuck);
    if (web) {
      web->poll(h, now);
      if (reloader) web->set_reloads(reloader->done(), reloader->failed());
    }
    monitor.poll(now);
    if (reloader && reload.requested()) reloader->request();
  }
  notify_systemd("STOPPING=1");
  spdlog::info("stopping");
  reloader.reset();  // a reload in progress ends first
  if (web) web->stop();  // the event streams end before the workers
  bridge.stop();
  spdlog::info("{}", stop_summary(bridge.stats(), device));
}

void run_relay(const config::BridgeConfig& cfg, const std::function<bool()>& stop) {
  using clock = std::chrono::steady_clock;
  Relay relay(relay_options(cfg));
  relay.start();
  if (cfg.http.port != 0)
    spdlog::info("http: no monitoring endpoint in relay mode (http.port is served with pipeline.enabled: true)");
  notify_systemd("READY=1");
  SystemdWatchdog watchdog;
  RelayStats before = relay.stats();
  auto last = clock::now();
  while (!stop()) {
    std::this_thread::sleep_for(kPoll);
    watchdog.feed_if_due(clock::now());
    const double dt = std::chrono::duration<double>(clock::now() - last).count();
    if (dt < cfg.log.summary_interval_s) continue;
    const RelayStats now = relay.stats();
    spdlog::info("{}", relay_summary(now, before, dt));
    before = now;
    last = clock::now();
  }
  notify_systemd("STOPPING=1");
  spdlog::info("stopping");
  relay.stop();
}

std::string stop_summary(const InferenceStats& s, const std::string& model_device) {
  return fmt::format("stopped: {} frames in, {} processed, {} dropped busy, {} failed{}{}{}{}", s.frames_in,
                     s.processed, s.dropped, s.failed,
                     s.ignored ? fmt::format(", {} of other IMAGE devices ignored", s.ignored) : "",
                     s.unsupported ? fmt::format(", {} IMAGEs the pipeline cannot take", s.unsupported) : "",
                     s.relay.malformed ? fmt::format(", {} malformed messages dropped", s.relay.malformed) : "",
                     model_device == "cpu" ? std::string()
                                           : fmt::format(", {} received page-locked, {} not (copied once more)",
                                                         s.page_locked, s.not_page_locked));
}

}  // namespace igtb
