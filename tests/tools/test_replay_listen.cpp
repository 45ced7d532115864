// The replay's IMAGE geometry and the listener's NRRD output, without sockets.
#include "../support/catch.hpp"

#include <filesystem>

#include "io/nrrd_reader.hpp"
#include "tools/listen.hpp"
#include "tools/replay.hpp"
#include "transport/downstream_server.hpp"
#include "transport/image_codec.hpp"
#include "transport/string_codec.hpp"

#include <atomic>
#include <thread>

using namespace igtb;

namespace {
const std::string kData = IGTB_TEST_DATA_DIR;
}

TEST_CASE("replay takes the IMAGE matrix from ImageToReference, in the centre convention") {
  const io::Sequence seq = io::read_sequence(kData + "/synthetic_single.mha");
  REQUIRE(seq.frames.size() == 1);
  const Image img = replay_image(seq, 0);
  // ImageToReference = scale (0.5, 0.25, 1), translation (10, 20, 30); dims 9 x 6 x 1.
  CHECK(img.matrix[0] == 0.5f);
  CHECK(img.matrix[4] == 0.25f);
  CHECK(img.matrix[8] == 1.0f);
  CHECK(img.matrix[9] == Approx(10 + 0.5 * 4));    // (9 - 1) / 2 = 4 voxels along i
  CHECK(img.matrix[10] == Approx(20 + 0.25 * 2.5));  // (6 - 1) / 2 = 2.5 voxels along j
  CHECK(img.matrix[11] == Approx(30));
  CHECK(img.pixels.size() == 9 * 6);
  CHECK(std::equal(img.pixels.begin(), img.pixels.end(), seq.frame_pixels(0)));
}

TEST_CASE("without ImageToReference the replay uses the file's direction, spacing and origin") {
  const io::Sequence seq = io::read_sequence(kData + "/SpinePhantomFreehand.igs.mha");
  const Image img = replay_image(seq, 0);
  CHECK(img.dims == std::array<std::uint16_t, 3>{820, 616, 1});
  CHECK(img.matrix[0] == 1.0f);
  CHECK(img.matrix[4] == 1.0f);
  CHECK(img.matrix[9] == 409.5f);
  CHECK(img.matrix[10] == 307.5f);
  CHECK(img.matrix[11] == 0.0f);
}

TEST_CASE("listen saves an IMAGE as NRRD in the corner convention, so Slicer places it where the IMAGE was") {
  const io::Sequence seq = io::read_sequence(kData + "/synthetic_single.mha");
  const Image img = replay_image(seq, 0);
  const Message m = decode_message(std::make_shared<Bytes>(encode_image(Envelope{"IMAGE", "Image_Reference", 7, 2}, img)), true);
  const auto dir = std::filesystem::temp_directory_path() / "igtb_listen_save_test";
  std::filesystem::remove_all(dir);
  const std::string path = save_message(m, dir.string(), 3);
  CHECK(path == (dir / "Image_Reference_000003.nrrd").string());
  const io::Sequence back = io::read_nrrd(path);
  CHECK(back.frame_dims == std::array<std::uint32_t, 3>{9, 6, 1});
  CHECK(back.spacing[0] == Approx(0.5));
  CHECK(back.spacing[1] == Approx(0.25));
  CHECK(back.origin[0] == Approx(10));  // the corner voxel, as ImageToReference says
  CHECK(back.origin[1] == Approx(20));
  CHECK(back.origin[2] == Approx(30));
  REQUIRE(back.pixels.size() == img.pixels.size());
  CHECK(std::equal(back.pixels.begin(), back.pixels.end(), img.pixels.begin()));
  std::filesystem::remove_all(dir);
}

TEST_CASE("describe_message prints dims, type and spacing of an IMAGE, and rejects a malformed one") {
  const io::Sequence seq = io::read_sequence(kData + "/synthetic_single.mha");
  Bytes wire = encode_image(Envelope{"IMAGE", "Image_Reference", 0, 1}, replay_image(seq, 0));
  const std::string line = describe_message(decode_message(std::make_shared<Bytes>(wire), true));
  CHECK_THAT(line, Catch::Contains("IMAGE 'Image_Reference'") && Catch::Contains("9x6x1 uint8 x1 spacing 0.5 0.25 1"));
  wire[kHeaderSize + 3] = 42;  // scalar type
  CHECK_THROWS_AS(describe_message(decode_message(std::make_shared<Bytes>(wire), false)), ProtocolError);
}

TEST_CASE("replay: a directory (what --record writes) is one clear error naming the files to give") {
  const std::string dir = std::filesystem::temp_directory_path().string();
  ReplayOptions o;
  o.files = {dir};
  try {
    Replay r(o);
    FAIL("a directory was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("'" + dir + "' is a directory: give the sequence files in it"));
  }
}

TEST_CASE("listen: the bridge's status STRING and keep-alives do not keep it from going idle") {
  ServerOptions so;
  so.port = 0;
  so.keepalive_s = 0.1;  // keep-alives all along
  DownstreamServer server(so);
  server.start();
  ListenOptions o;
  o.port = server.port();
  o.idle_s = 0.5;
  o.timeout_s = 20;
  std::atomic<bool> stop{false}, done{false};
  std::thread status([&] {  // IgtbridgeStatus every 250 ms, keep-alives in the gaps
    while (!done) {
      server.broadcast(std::make_shared<const Bytes>(
          encode_string(Envelope{"STRING", "IgtbridgeStatus", 0, 1}, Text{3, "{\"fps_in\": 0}"})));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  std::vector<std::string> lines;
  std::thread frame([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.broadcast(std::make_shared<const Bytes>(encode_string(Envelope{"STRING", "BoneMaskState", 0, 1}, Text{3, "{}"})));
  });
  const auto start = std::chrono::steady_clock::now();
  const ListenResult r = listen(o, stop, [&](const std::string& l) { lines.push_back(l); });
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  done = true;
  status.join();
  frame.join();
  server.stop();
  CHECK(r.exit_code == 0);
  CHECK(took < 5.0);  // idle 0.5 s after the last BoneMaskState, not the 20 s timeout
  CHECK(r.messages >= 2);  // status strings are still printed and counted
  CHECK(r.keepalives >= 1);
}
