// Reloading a running bridge (SIGHUP, or its configuration file changed):
// the configuration is read again, the models are loaded again from their
// files (a retrained model at the same path too) with the reloadable keys'
// new values, warmed up beside the running pipelines, and swapped in by each
// lane's worker before its next frame (InferenceBridge::replace_pipelines).
// The sockets, the upstream connection and the clients stay. A reload that
// fails (a bad file, a model that does not load) keeps the running models
// and says why in one line; keys that need a restart keep their running
// values, with one warning naming them.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/inference_bridge.hpp"
#include "config/config.hpp"

namespace igtb {

/// Whether a running bridge takes a new value of `key` on a reload: the
/// models and what only shapes the pipelines' work (models.* but the
/// device keys, segment.*, detect.*, match.*, visibility.*, the CUDA graph
/// and stream options, output.label_values, log.level). The rest (sockets,
/// device names, pipeline.kind, the device, files) needs a restart.
bool reloadable_key(const std::string& key);

struct ReloadPlan {
  std::vector<std::string> reload;   ///< changed keys the reload applies
  std::vector<std::string> restart;  ///< changed keys that keep their running values
};
ReloadPlan plan_reload(const config::BridgeConfig& running, const config::BridgeConfig& next);

class Reloader {
 public:
  /// `read` gives the configuration anew (throws ConfigError); `running` is
  /// the one the bridge was built from.
  Reloader(InferenceBridge& bridge, config::BridgeConfig running, std::function<config::BridgeConfig()> read);
  ~Reloader();  ///< waits for a reload in progress
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  /// Starts a reload on its own thread; while one runs, another request is
  /// taken when it ends (once, however many came).
  void request();
  /// Reloads finished so far, and those of them that failed.
  std::uint64_t done() const { return done_.load(); }
  std::uint64_t failed() const { return failed_.load(); }
  /// Waits for a reload in progress, if any (tests).
  void wait();

 private:
  void run();
  InferenceBridge& bridge_;
  config::BridgeConfig running_;  ///< the reload thread's
  std::function<config::BridgeConfig()> read_;
  std::mutex m_;
  bool busy_ = false, again_ = false;
  std::thread thread_;
  std::atomic<std::uint64_t> done_{0}, failed_{0};
};

/// A configuration file watched for changes (its modification time and
/// size), looked at most once a second.
class ConfigWatch {
 public:
  explicit ConfigWatch(std::string path);
  /// True once after the file changed (a file being written may show twice).
  bool changed();

 private:
  std::string path_;
  std::chrono::steady_clock::time_point next_look_;
  struct timespec mtime_ {};
  off_t size_ = -1;
};

}  // namespace igtb
