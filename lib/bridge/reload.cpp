#include "bridge/reload.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "bridge/daemon.hpp"
#include "models/module_loader.hpp"

namespace igtb {

namespace {

std::string joined(const std::vector<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
  return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

bool reloadable_key(const std::string& key) {
  if (key == "models.device" || key == "models.stream_devices") return false;
  for (const char* section : {"models.", "segment.", "detect.", "match.", "visibility."})
    if (starts_with(key, section)) return true;
  return key == "pipeline.cuda_graph" || key == "pipeline.overlap_encoder" ||
         key == "pipeline.stream_priority" || key == "pipeline.release_cached_memory" ||
         key == "output.label_values" || key == "log.level";
}

ReloadPlan plan_reload(const config::BridgeConfig& running, const config::BridgeConfig& next) {
  ReloadPlan plan;
  for (const auto& key : config::changed_keys(running, next)) (reloadable_key(key) ? plan.reload : plan.restart).push_back(key);
  return plan;
}

Reloader::Reloader(InferenceBridge& bridge, config::BridgeConfig running, std::function<config::BridgeConfig()> read)
    : bridge_(bridge), running_(std::move(running)), read_(std::move(read)) {}

Reloader::~Reloader() { wait(); }

void Reloader::wait() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(m_);
    again_ = false;
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

void Reloader::request() {
  std::lock_guard<std::mutex> lock(m_);
  if (busy_) {
    again_ = true;
    return;
  }
  if (thread_.joinable()) thread_.join();  // the last one has ended (busy_ is false)
  busy_ = true;
  thread_ = std::thread([this] {
    for (;;) {
      run();
      std::lock_guard<std::mutex> lock(m_);
      if (!again_) {
        busy_ = false;
        return;
      }
      again_ = false;
    }
  });
}

void Reloader::run() {
  const auto t0 = std::chrono::steady_clock::now();
  spdlog::info("reload: reading the configuration and loading the models again; the running ones go on meanwhile");
  bool ok = false;
  try {
    config::BridgeConfig next = read_();
    const ReloadPlan plan = plan_reload(running_, next);
    if (!plan.restart.empty())
      spdlog::warn("reload: {} changed but need{} a restart; running with the old value{}", joined(plan.restart),
                   plan.restart.size() == 1 ? "s" : "", plan.restart.size() == 1 ? "" : "s");
    config::BridgeConfig effective = running_;
    config::copy_keys(effective, next, plan.reload);
    std::vector<std::unique_ptr<Pipeline>> pipelines = load_pipelines(effective);
    bridge_.replace_pipelines(std::move(pipelines));
    if (effective.log.level != running_.log.level) spdlog::set_level(spdlog::level::from_str(effective.log.level));
    running_ = effective;
    spdlog::info("reload: models loaded and warmed up in {:.0f} ms ({}); each pipeline swaps them in at its next frame",
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                 plan.reload.empty() ? "no reloadable key changed: the model files read again"
                                     : "changed: " + joined(plan.reload));
    ok = true;
  } catch (const config::ConfigError& e) {
    spdlog::error("reload: configuration: {}; the running models stay", e.what());
  } catch (const std::exception& e) {
    spdlog::error("reload: models: {}; the running models stay", short_error(e));
  }
  if (!ok) failed_.fetch_add(1);
  done_.fetch_add(1);
}

ConfigWatch::ConfigWatch(std::string path) : path_(std::move(path)), next_look_(std::chrono::steady_clock::now()) {
  changed();  // the file as it is now is the running one
}

bool ConfigWatch::changed() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_look_) return false;
  next_look_ = now + std::chrono::seconds(1);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return false;  // being replaced: look again next time
  const bool differ = st.st_size != size_ || st.st_mtim.tv_sec != mtime_.tv_sec || st.st_mtim.tv_nsec != mtime_.tv_nsec;
  const bool first = size_ < 0;
  mtime_ = st.st_mtim;
  size_ = st.st_size;
  return differ && !first;
}

}  // namespace igtb
