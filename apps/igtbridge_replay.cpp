// igtbridge-replay: a PlusServer stand-in serving PLUS sequence files.
#include <CLI/CLI.hpp>

#include "common.hpp"
#include "tools/replay.hpp"

int main(int argc, char** argv) {
  igtb::ReplayOptions o;
  std::string log_level = "info";
  CLI::App cli{"igtbridge-replay: serve PLUS sequence files (.igs.mha, .igs.nrrd) as OpenIGTLink IMAGE + TRANSFORM, like a PlusServer",
               "igtbridge-replay"};
  cli.set_version_flag("--version", igtb::app::version_line("igtbridge-replay"));
  cli.add_option("files", o.files, "PLUS sequence files, served in order")->required()->check(CLI::ExistingPath);
  cli.add_option("--port", o.port, "TCP port to serve on (0 = any free port, printed)")->capture_default_str();
  cli.add_option("--bind", o.bind, "address to bind")->capture_default_str();
  auto* fps = cli.add_option("--fps", o.fps, "frames per second (0 = as fast as clients read)")->capture_default_str();
  cli.add_flag("--realtime", o.realtime, "pace by the recorded timestamps")->excludes(fps);
  cli.add_flag("--loop", o.loop, "start over after the last frame");
  cli.add_option("--count", o.count, "stop after N frames (0 = every frame once, forever with --loop)");
  cli.add_option("--wait-clients", o.wait_clients, "clients to wait for before the first frame")->capture_default_str();
  cli.add_option("--image-device", o.image_device, "IMAGE device name")->capture_default_str();
  igtb::app::add_log_level(cli, log_level);
  igtb::app::set_exit_codes(cli, "2 also an unreadable recording or a port that cannot be bound");
  if (const auto rc = igtb::app::parse(cli, argc, argv)) return *rc;

  igtb::app::setup_logging(log_level, "replay");
  igtb::app::install_signal_handlers();
  try {
    igtb::Replay replay(o);
    replay.start();
    std::printf("replay: port %u\n", unsigned(replay.port()));
    std::fflush(stdout);
    std::thread watch([&] {
      while (!igtb::app::stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      replay.stop();
    });
    const igtb::ReplayStats st = replay.run();
    igtb::app::stop_requested() = true;
    watch.join();
    spdlog::info("replay: sent {} frames and {} transforms; skipped {} invalid frames, {} invalid transforms",
                 st.frames_sent, st.transforms_sent, st.frames_skipped, st.transforms_skipped);
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
}
