// igtbridge-replay's engine: a PlusServer stand-in that serves PLUS sequence
// files as IMAGE + TRANSFORM messages, with PlusServer's conventions (device
// Image_Reference, centre-of-image matrix, v1 headers until the client sends
// a v2 message, TRANSFORM only where the status is OK).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/sequence.hpp"
#include "transport/downstream_server.hpp"
#include "core/image.hpp"

namespace igtb {

struct ReplayOptions {
  std::vector<std::string> files;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 18944;  ///< 0 = ephemeral
  double fps = 30;             ///< frames per second; 0 = as fast as the clients read
  bool realtime = false;       ///< pace by the recorded timestamps instead of fps
  bool loop = false;
  std::uint64_t count = 0;     ///< frames to send in all; 0 = every frame once (forever with loop)
  int wait_clients = 1;        ///< clients to wait for before the first frame
  std::string image_device = "Image_Reference";
  int queue_messages = 64;     ///< per client; replay waits for room rather than drop
  /// Called with the number of frames sent so far, after the pacing and just
  /// before each frame goes out (tests pace the stream by what came back).
  std::function<void(std::uint64_t frames_sent)> before_send;
};

struct ReplayStats {
  std::uint64_t frames_sent = 0;
  std::uint64_t transforms_sent = 0;
  std::uint64_t frames_skipped = 0;       ///< image status not OK
  std::uint64_t transforms_skipped = 0;   ///< transform status not OK
};

/// The IMAGE geometry of a frame, as the replay sends it: the frame's
/// ImageToReference transform when present and OK (PLUS: pixels -> mm,
/// spacing included), else the file's direction * spacing and origin;
/// in either case converted to the wire's centre convention.
std::array<float, 12> replay_image_matrix(const io::Sequence& seq, const io::SequenceFrame& frame);

/// Builds the IMAGE of one frame (pixels copied from the sequence).
Image replay_image(const io::Sequence& seq, std::size_t frame);
/// replay_image without the pixels.
ImageInfo replay_image_info(const io::Sequence& seq, std::size_t frame);

class Replay {
 public:
  /// Reads every file (throws io::SequenceError).
  explicit Replay(ReplayOptions options);
  ~Replay();
  /// Binds the server (throws SocketError).
  void start();
  std::uint16_t port() const { return server_.port(); }
  /// Serves frames as configured; returns when done or stopped.
  ReplayStats run();
  void stop();
  std::size_t frame_count() const;  ///< valid frames over all files

 private:
  struct Encoded;
  const Encoded& encoded(std::size_t seq, std::size_t frame);

  ReplayOptions opt_;
  std::vector<io::Sequence> sequences_;
  std::vector<std::vector<std::unique_ptr<Encoded>>> cache_;
  DownstreamServer server_;
  std::atomic<bool> stop_{false};
};

}  // namespace igtb
