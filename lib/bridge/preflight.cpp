#include "bridge/preflight.hpp"

#include <unistd.h>

#include <filesystem>

#include "transport/socket.hpp"

namespace igtb {
namespace {

namespace fs = std::filesystem;

std::string absolute(const std::string& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

bool writable_dir(const fs::path& d) {
  std::error_code ec;
  return fs::is_directory(d, ec) && ::access(d.c_str(), W_OK | X_OK) == 0;
}

/// Why a file at `path` cannot be created or overwritten ("" when it can).
std::string file_problem(const std::string& path) {
  const fs::path p = absolute(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) return "'" + p.string() + "' is a directory";
  if (fs::exists(p, ec)) return ::access(p.c_str(), W_OK) == 0 ? "" : "'" + p.string() + "' is not writable";
  const fs::path dir = p.parent_path();
  if (!fs::is_directory(dir, ec)) return "directory '" + dir.string() + "' (for '" + p.string() + "') does not exist";
  return writable_dir(dir) ? "" : "directory '" + dir.string() + "' is not writable";
}

/// Why a directory at `path` cannot be created (with its parents) or written.
std::string dir_problem(const std::string& path) {
  const fs::path p = absolute(path);
  std::error_code ec;
  if (fs::exists(p, ec))
    return !fs::is_directory(p, ec) ? "'" + p.string() + "' exists and is not a directory"
           : writable_dir(p)        ? ""
                                    : "directory '" + p.string() + "' is not writable";
  fs::path up = p.parent_path();
  while (!up.empty() && !fs::exists(up, ec) && up != up.root_path()) up = up.parent_path();
  if (!fs::is_directory(up, ec)) return "'" + up.string() + "' (a parent of '" + p.string() + "') is not a directory";
  return writable_dir(up) ? "" : "cannot create '" + p.string() + "': '" + up.string() + "' is not writable";
}

std::string bind_problem(const std::string& key, const std::string& bind, std::uint16_t port) {
  try {
    Socket s = Socket::listen_tcp(bind, port);
    return "";
  } catch (const std::exception& e) {
    return key + " " + std::to_string(port) + ": " + e.what() + " (--set " + key + "=PORT chooses another)";
  }
}

}  // namespace

std::vector<std::string> preflight_problems(const config::BridgeConfig& c) {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (!s.empty()) out.push_back(s);
  };
  add(bind_problem("output.port", c.output.bind, c.output.port));
  if (c.input.mode == "listen") add(bind_problem("input.port", c.input.bind, c.input.port));
  if (!c.kpi.path.empty())
    if (const std::string why = file_problem(c.kpi.path); !why.empty()) add("kpi.path: cannot write the KPI file: " + why);
  if (!c.record.dir.empty())
    if (const std::string why = dir_problem(c.record.dir); !why.empty()) add("record.dir: cannot record there: " + why);
  return out;
}

std::vector<std::string> preflight_warnings(const config::BridgeConfig& c) {
  std::vector<std::string> out;
  if (c.pipeline.enabled && c.http.port != 0)
    if (const std::string why = bind_problem("http.port", c.http.bind, c.http.port); !why.empty())
      out.push_back(why + "; the bridge would run without its monitoring endpoint");
  return out;
}

}  // namespace igtb
