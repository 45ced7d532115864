// igtbridge-listen: a 3D Slicer stand-in that receives, checks and saves.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "common.hpp"
#include "tools/listen.hpp"

int main(int argc, char** argv) {
  igtb::ListenOptions o;
  std::string log_level = "warn";
  bool no_hello = false;
  CLI::App cli{"igtbridge-listen: connect to an OpenIGTLink server, print one line per message, optionally save them",
               "igtbridge-listen"};
  cli.set_version_flag("--version", igtb::app::version_line("igtbridge-listen"));
  cli.add_option("--host", o.host, "server address")->capture_default_str();
  cli.add_option("--port", o.port, "server port")->capture_default_str();
  cli.add_option("--count", o.count, "exit 0 after N messages (0 = until interrupted)");
  cli.add_option("--timeout", o.timeout_s, "give up after S seconds, connecting included (exit 1)");
  cli.add_option("--idle", o.idle_s,
                 "after the first message, exit 0 once none came for S seconds (keep-alives and the bridge's "
                 "status STRING, --idle-ignore, do not count)");
  cli.add_option("--idle-ignore", o.idle_ignore, "device names whose messages do not end idleness")
      ->capture_default_str();
  cli.add_option("--save", o.save_dir, "save IMAGE as .nrrd and POLYDATA as .vtk in this folder");
  cli.add_flag("--no-hello", no_hello, "do not send the v2 STATUS that Slicer sends on connect");
  igtb::app::add_log_level(cli, log_level);
  igtb::app::set_exit_codes(cli, "1 timeout, idle before --count, or connection lost; 2 also a malformed message");
  if (const auto rc = igtb::app::parse(cli, argc, argv)) return *rc;
  o.hello = !no_hello;

  igtb::app::setup_logging(log_level, "listen");
  igtb::app::install_signal_handlers();
  const igtb::ListenResult r = igtb::listen(o, igtb::app::stop_requested(), [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  if (r.exit_code != 0) spdlog::error("{}", r.error);
  std::fprintf(stderr, "listen: %llu message(s)\n", static_cast<unsigned long long>(r.messages));
  return r.exit_code;
}
