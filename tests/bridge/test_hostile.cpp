// Hostile input on the wire, at the bridge with the pipeline on (listen
// mode): a garbage header, a body over the limit, a truncated body followed
// by silence, a wrong CRC, a v3 extended header whose sizes disagree with the
// body, and an IMAGE whose dims do not match its pixels. Each costs only its
// own message or connection; a good sender's frames keep coming out to the
// client the whole time.
#include "../support/eventually.hpp"
#include "bridge/inference_bridge.hpp"

#include <dirent.h>

#include <thread>

#include "../support/synthetic_scene.hpp"
#include "transport/crc64.hpp"
#include "transport/image_codec.hpp"
#include "transport/socket.hpp"
#include "transport/string_codec.hpp"

#include "../support/catch.hpp"

using namespace igtb;
using namespace std::chrono_literals;

namespace {

using igtb::test::eventually;

Bytes good_image(std::uint64_t n, std::uint16_t version = 1) {
  Image img = test::scene_image(test::two_disks_scene(), int(n % 10));
  Envelope env{"IMAGE", "Image_Reference", timestamp_from_seconds(1000.0 + double(n)), version, 0, {}};
  if (version == 2) env.metadata = {{"FrameNumber", std::to_string(n)}};
  return encode_image(env, img);
}

/// Sends `bytes` on a fresh connection, then waits until the bridge closes
/// it (true) or `wait` passes with it open (false).
bool send_and_see_closed(std::uint16_t port, const Bytes& bytes, std::chrono::milliseconds wait) {
  Socket s = Socket::connect_tcp("127.0.0.1", port, 1000);
  s.send_all(bytes.data(), bytes.size());
  std::uint8_t b;
  return eventually(
      [&] {
        try {
          s.recv_upto(&b, 1, 20);
          return false;
        } catch (const std::exception&) {
          return true;
        }
      },
      wait);
}

}  // namespace

TEST_CASE("hostile senders cost only their own message or connection; the good stream goes on") {
  InferenceOptions io;
  io.relay.input_mode = "listen";
  io.relay.upstream.port = 0;
  io.relay.upstream.max_senders = 8;
  io.relay.upstream.reader.max_message_bytes = 1 << 20;
  io.relay.upstream.reader.stall_ms = 300;
  io.relay.downstream.port = 0;
  io.relay.downstream.queue_messages = 1024;
  PipelineOptions po;
  po.warmup_frames = 0;
  InferenceBridge bridge(io, std::make_unique<Pipeline>(po));
  bridge.start();
  const std::uint16_t in = bridge.input_port();

  // The client (Slicer stand-in) counts the label maps it receives.
  Socket client = Socket::connect_tcp("127.0.0.1", bridge.output_port(), 1000);
  REQUIRE(eventually([&] { return bridge.stats().relay.clients == 1; }));
  std::atomic<bool> done{false}, sending_done{false};
  std::atomic<std::uint64_t> masks{0}, states_failed{0};
  std::thread reader([&] {
    MessageReader r(client, ReaderOptions{}, "test client");
    pump_messages(r, done, [&](Message&& m) {
      if (m.device() == "BoneMask") ++masks;
      if (m.type() == "STRING" && decode_string(m).text.find("\"failed\": true") != std::string::npos) ++states_failed;
    });
  });

  // A good sender: one valid IMAGE every 40 ms for the whole test.
  std::atomic<std::uint64_t> sent{0};
  std::thread good([&] {
    Socket s = Socket::connect_tcp("127.0.0.1", in, 1000);
    while (!sending_done) {
      const Bytes b = good_image(sent, sent % 2 ? 2 : 1);
      s.send_all(b.data(), b.size());
      ++sent;
      std::this_thread::sleep_for(40ms);
    }
  });
  REQUIRE(eventually([&] { return masks.load() >= 3; }));

  SECTION("each hostile case") {}
  // 1. A garbage header: the connection is closed.
  Bytes garbage(200, 0x5a);
  CHECK(send_and_see_closed(in, garbage, 3000ms));
  // 2. A body over max_message_bytes: closed before anything is allocated.
  Bytes big = good_image(0);
  big[42] = 0x7f;  // body size field (bytes 42..49), big-endian: way over 1 MiB
  CHECK(send_and_see_closed(in, big, 3000ms));
  // 3. A truncated body, then silence: closed after the stall limit.
  const Bytes whole = good_image(1);
  CHECK(send_and_see_closed(in, Bytes(whole.begin(), whole.begin() + 100), 3000ms));
  // 4. A wrong CRC: that message is dropped, the connection stays open.
  Bytes bad_crc = good_image(2);
  bad_crc.back() ^= 0xff;
  CHECK_FALSE(send_and_see_closed(in, bad_crc, 500ms));
  // 5. A v3 extended header whose metadata size runs past the body, with a
  //    correct CRC so the layout check is what catches it: dropped as malformed.
  Bytes v3 = good_image(3, 2);
  v3[kHeaderSize + 4] = 0x7f;  // metadata size (after the 2-byte header size and 2-byte metadata header size)
  put_be64(v3.data() + 50, crc64(v3.data() + kHeaderSize, v3.size() - kHeaderSize));
  CHECK_FALSE(send_and_see_closed(in, v3, 500ms));
  // 6. An IMAGE whose dims do not match its pixels: valid framing and CRC,
  //    malformed content: the relay drops and counts it (it reaches neither
  //    the clients nor the pipeline), and the stream runs on.
  {
    Image img = test::scene_image(test::two_disks_scene(), 0);
    Bytes content;
    append_image_content(img, content);
    content[6] = 0x10;   // size_i high byte: 4096 + 320 columns, far more than the pixels carried
    content[66] = 0x10;  // and the subvolume size likewise, so it is not a valid subvolume either
    const Bytes lie = frame_message(Envelope{"IMAGE", "Image_Reference", timestamp_from_seconds(5.0), 1, 0, {}},
                                    content.data(), content.size());
    Socket s = Socket::connect_tcp("127.0.0.1", in, 1000);
    s.send_all(lie.data(), lie.size());
    CHECK(eventually([&] { return bridge.stats().relay.malformed >= 1; }));
  }

  // The good stream kept flowing through all of it.
  const std::uint64_t before = masks.load();
  CHECK(eventually([&] { return masks.load() >= before + 5; }));
  sending_done = true;
  good.join();
  // Every processed frame's outputs reach the client (all but the failed ones carry a mask).
  CHECK(eventually([&] {
    const InferenceStats now = bridge.stats();
    return now.processed + now.dropped == now.frames_in && masks.load() + now.failed == now.processed;
  }));
  done = true;
  bridge.stop();
  client.shutdown();
  reader.join();
  const InferenceStats st = bridge.stats();
  CHECK(st.relay.malformed == 1);
  CHECK(st.failed == 0);
  CHECK(states_failed.load() == st.failed);  // each failed frame said so in its state message
  CHECK(st.processed + st.dropped == st.frames_in);
  CHECK(masks.load() + st.failed == st.processed);  // every processed frame but the failed ones sent a mask
}

namespace {

/// Open descriptors of this process (readdir, not std::filesystem: its
/// directory iteration crashed in binaries linked with the CUDA LibTorch wheel).
std::size_t open_fds() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

}  // namespace

TEST_CASE("100 clients connecting and leaving (some mid-message) cost the steady client no frame and leak no fd") {
  InferenceOptions io;
  io.relay.input_mode = "listen";
  io.relay.upstream.port = 0;
  io.relay.downstream.port = 0;
  io.relay.downstream.max_clients = 16;
  io.relay.downstream.queue_messages = 64;
  PipelineOptions po;
  po.warmup_frames = 0;
  InferenceBridge bridge(io, std::make_unique<Pipeline>(po));
  bridge.start();
  const std::size_t fds_before = open_fds();

  Socket steady = Socket::connect_tcp("127.0.0.1", bridge.output_port(), 1000);
  REQUIRE(eventually([&] { return bridge.stats().relay.clients == 1; }));
  std::atomic<bool> done{false}, sending_done{false};
  std::atomic<std::uint64_t> masks{0};
  std::thread reader([&] {
    MessageReader r(steady, ReaderOptions{}, "steady client");
    pump_messages(r, done, [&](Message&& m) {
      if (m.device() == "BoneMask") ++masks;
    });
  });
  std::thread sender([&] {
    Socket s = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
    for (std::uint64_t n = 0; !sending_done; ++n) {
      const Bytes b = good_image(n);
      s.send_all(b.data(), b.size());
      std::this_thread::sleep_for(20ms);
    }
  });

  for (int i = 0; i < 100; ++i) {
    Socket c = Socket::connect_tcp("127.0.0.1", bridge.output_port(), 1000);
    if (i % 3 == 1) {  // read part of a message, then vanish mid-message
      std::uint8_t buf[1000];
      std::size_t got = 0;
      eventually([&] {
        got += c.recv_upto(buf + got, sizeof buf - got, 20);
        return got >= 100;
      }, 2000ms);
    } else if (i % 3 == 2) {  // stay a while without reading
      std::this_thread::sleep_for(30ms);
    }
  }  // each Socket closes as it goes out of scope
  REQUIRE(eventually([&] { return bridge.stats().relay.clients == 1; }));
  sending_done = true;
  sender.join();
  CHECK(eventually([&] {
    const InferenceStats now = bridge.stats();
    return now.processed + now.dropped == now.frames_in && masks.load() == now.processed;
  }));
  const InferenceStats st = bridge.stats();
  INFO("frames in " << st.frames_in << ", processed " << st.processed << ", masks at the steady client " << masks.load());
  CHECK(st.processed > 0);
  CHECK(masks.load() == st.processed);  // the steady client missed no frame the pipeline produced
  CHECK(bridge.stats().relay.clients == 1);
  // the steady client's and the sender's connections, both ends; closed clients are reaped within 200 ms
  CHECK(eventually([&] { return open_fds() <= fds_before + 4; }, 3000ms));
  done = true;
  bridge.stop();
  steady.shutdown();
  reader.join();
}

TEST_CASE("IMAGEs the pipeline cannot take are forwarded and counted, not failed; a label map carries its frame's metadata") {
  InferenceOptions io;
  io.relay.input_mode = "listen";
  io.relay.upstream.port = 0;
  io.relay.downstream.port = 0;
  io.relay.downstream.queue_messages = 256;
  io.relay.downstream.initial_header_version = 2;  // the client below says nothing: give it metadata
  PipelineOptions po;
  po.warmup_frames = 0;
  InferenceBridge bridge(io, std::make_unique<Pipeline>(po));
  bridge.start();
  Socket client = Socket::connect_tcp("127.0.0.1", bridge.output_port(), 1000);
  REQUIRE(eventually([&] { return bridge.stats().relay.clients == 1; }));
  std::atomic<bool> done{false};
  std::atomic<int> volumes{0}, two_components{0}, masks{0}, masks_with_metadata{0}, states_failed{0};
  std::thread reader([&] {
    MessageReader r(client, ReaderOptions{}, "test client");
    pump_messages(r, done, [&](Message&& m) {
      if (m.device() == "Volume") ++volumes;
      if (m.device() == "TwoComponents") ++two_components;
      if (m.device() == "BoneMask") {
        ++masks;
        if (m.meta("FrameNumber") && m.meta("PlusCustomField") == std::optional<std::string>("x") &&
            !m.meta("MRMLNodeName"))
          ++masks_with_metadata;
      }
      if (m.type() == "STRING" && decode_string(m).text.find("\"failed\": true") != std::string::npos) ++states_failed;
    });
  });

  Socket s = Socket::connect_tcp("127.0.0.1", bridge.input_port(), 1000);
  Image volume = test::scene_image(test::two_disks_scene(), 0);
  volume.dims = {16, 12, 4};
  volume.subvolume_size = volume.dims;
  volume.pixels.assign(16 * 12 * 4, 7);
  Image two = test::scene_image(test::two_disks_scene(), 0);
  two.dims = {16, 12, 1};
  two.subvolume_size = two.dims;
  two.components = 2;
  two.pixels.assign(16 * 12 * 2, 9);
  for (int i = 0; i < 5; ++i) {
    const Bytes v = encode_image(Envelope{"IMAGE", "Volume", timestamp_from_seconds(10.0 + i), 2}, volume);
    const Bytes t = encode_image(Envelope{"IMAGE", "TwoComponents", timestamp_from_seconds(10.0 + i), 1}, two);
    s.send_all(v.data(), v.size());
    s.send_all(t.data(), t.size());
  }
  // A 2D frame with PlusServer-like metadata: its label map carries it (MRMLNodeName aside).
  Image frame = test::scene_image(test::two_disks_scene(), 1);
  Envelope env{"IMAGE", "Image_Reference", timestamp_from_seconds(20.0), 2};
  env.metadata = {{"FrameNumber", "7"}, {"PlusCustomField", "x"}, {"MRMLNodeName", "Image_Reference"}};
  const Bytes b = encode_image(env, frame);
  s.send_all(b.data(), b.size());

  // The label map goes out before the frame is counted processed: wait for both.
  CHECK(eventually([&] {
    return volumes.load() == 5 && two_components.load() == 5 && masks.load() == 1 && bridge.stats().processed == 1;
  }));
  const InferenceStats st = bridge.stats();
  CHECK(st.unsupported == 10);
  CHECK(st.failed == 0);
  CHECK(st.processed == 1);
  CHECK(st.frames_in == 1);  // the unsupported ones never reach the pipeline (nor bind it)
  CHECK(masks_with_metadata.load() == 1);
  CHECK(states_failed.load() == 0);
  done = true;
  bridge.stop();
  client.shutdown();
  reader.join();
}
