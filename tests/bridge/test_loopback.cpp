// replay -> igtbridge (relay) -> listen on 127.0.0.1 ephemeral ports, in one
// process: every IMAGE arrives bit-exact with its matrix, TRANSFORMs follow,
// and a second client that never reads does not stop the first.
#include "../support/catch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "bridge/relay.hpp"
#include "tools/listen.hpp"
#include "tools/replay.hpp"
#include "transport/image_codec.hpp"
#include "transport/transform_codec.hpp"

using namespace igtb;
using namespace std::chrono_literals;

namespace {

const std::string kSpine = std::string(IGTB_TEST_DATA_DIR) + "/SpinePhantomFreehand.igs.mha";
const std::string kRgb = std::string(IGTB_TEST_DATA_DIR) + "/synthetic_rgb.nrrd";

}  // namespace

TEST_CASE("loopback: replay -> relay -> listen delivers every IMAGE bit-exact, despite a stalled client") {
  ReplayOptions ro;
  ro.files = {kSpine, kRgb};
  ro.port = 0;
  ro.fps = 100;
  ro.wait_clients = 1;
  ro.loop = true;
  const std::size_t passes = 3;  // enough frames to overflow the stalled client's queue and socket buffers
  // What the files hold, frame by frame, as the replay means to send it.
  std::vector<Image> expected;
  std::size_t transforms_expected = 0;
  for (std::size_t pass = 0; pass < passes; ++pass)
    for (const auto& f : ro.files) {
      const io::Sequence seq = io::read_sequence(f);
      for (std::size_t i = 0; i < seq.frames.size(); ++i) {
        if (!seq.frames[i].image_valid) continue;
        expected.push_back(replay_image(seq, i));
        for (const auto& t : seq.frames[i].transforms) transforms_expected += t.valid() ? 1 : 0;
      }
    }
  ro.count = expected.size();
  Replay replay(ro);
  REQUIRE(replay.frame_count() * passes == ro.count);
  replay.start();

  RelayOptions rel;
  rel.upstream.port = replay.port();
  rel.upstream.backoff_initial_s = 0.05;
  rel.downstream.port = 0;
  // Room for the reading client to fall behind by ~16 frames (sanitizer
  // builds run it several times slower); the stalled one still overflows it.
  rel.downstream.queue_messages = 64;
  Relay relay(rel);
  relay.start();

  // The stalled client connects first and never reads; a small receive
  // buffer keeps the kernel from soaking up what its queue should drop.
  Socket stalled(::socket(AF_INET, SOCK_STREAM, 0));
  const int small = 4096;
  setsockopt(stalled.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(relay.output_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(stalled.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

  std::vector<Message> received;
  std::atomic<bool> stop{false};
  ListenOptions lo;
  lo.port = relay.output_port();
  lo.timeout_s = 60;
  ListenResult lr;
  std::thread listener([&] {
    lr = listen(lo, stop, [](const std::string&) {}, [&](const Message& m) {
      received.push_back(m);
      // Every IMAGE and every TRANSFORM (the last frame's TRANSFORMs follow its IMAGE).
      if (received.size() == ro.count + transforms_expected) stop = true;
    });
  });
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (relay.stats().clients < 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  REQUIRE(relay.stats().clients == 2);

  const ReplayStats st = replay.run();
  listener.join();
  CHECK(lr.exit_code == 0);

  REQUIRE(st.frames_sent == expected.size());
  CHECK(st.frames_skipped == passes);  // synthetic_rgb.nrrd has one frame with Status INVALID

  std::vector<const Message*> images;
  std::size_t transforms = 0;
  for (const auto& m : received) {
    if (m.type() == "IMAGE") images.push_back(&m);
    if (m.type() == "TRANSFORM") ++transforms;
  }
  REQUIRE(images.size() == expected.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    INFO("frame " << i);
    const Image got = decode_image(*images[i]);
    CHECK(got.dims == expected[i].dims);
    CHECK(got.components == expected[i].components);
    CHECK(got.scalar == expected[i].scalar);
    CHECK(got.matrix == expected[i].matrix);
    CHECK(got.pixels == expected[i].pixels);
    CHECK(images[i]->device() == "Image_Reference");
  }
  CHECK(transforms == transforms_expected);
  // Forwarded unchanged: header v2 once the replay has read the relay's
  // hello (as PlusServer, it sends v1 until then: the first frames may race
  // it on a loaded machine), and never v1 again after that.
  CHECK(images.back()->header.version == 2);
  bool seen_v2 = false;
  for (const Message* im : images) {
    if (seen_v2) CHECK(im->header.version == 2);
    seen_v2 = seen_v2 || im->header.version == 2;
  }

  // The stalled client lost frames; the reading one lost none.
  const auto clients = relay.stats();
  CHECK(clients.dropped > 0);
  relay.stop();
  replay.stop();
}

TEST_CASE("relay filters IMAGE and TRANSFORM by device name, takes STATUS and STRING, leaves other types") {
  RelayOptions o;
  o.image_devices = {"Image_Reference"};
  o.transform_devices = {"ProbeToTracker"};
  Header h;
  h.type = "IMAGE";
  h.device = "Image_Reference";
  CHECK(relay_accepts(o, h));
  h.device = "Image_Probe";
  CHECK_FALSE(relay_accepts(o, h));
  h.type = "TRANSFORM";
  h.device = "ProbeToTracker";
  CHECK(relay_accepts(o, h));
  h.device = "StylusToTracker";
  CHECK_FALSE(relay_accepts(o, h));
  h.type = "STATUS";
  CHECK(relay_accepts(o, h));
  h.type = "STRING";
  CHECK(relay_accepts(o, h));
  h.type = "POLYDATA";
  CHECK_FALSE(relay_accepts(o, h));
  o.image_devices.clear();
  h.type = "IMAGE";
  h.device = "anything";
  CHECK(relay_accepts(o, h));
}
