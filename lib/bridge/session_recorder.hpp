// Recording a session: the incoming IMAGEs with the transforms received with
// them, and the label maps the pipeline produced, as PLUS sequences
// (io::SequenceRecorder: .igs.mhd + .igs.zraw) in one directory:
//   <dir>/<YYYYmmdd_HHMMSS>_<device>_<NNN>.igs.mhd   one series per IMAGE device
// (the input's, e.g. Image_Reference, and the label map's, e.g. BoneMask). Each
// frame keeps its header timestamp, one value of every TRANSFORM device seen
// so far (name = device name, status OK) and ImageToReference = the IMAGE's
// own IJK->RAS, which igtbridge-replay uses as the frame's geometry. The
// transform value is the one with the image's timestamp when one arrives
// before the next IMAGE (PlusServer sends a tracked frame's TRANSFORMs with
// its timestamp, before or after the IMAGE), else the latest one not newer
// than the image, else the latest. So an input frame is written when the next
// IMAGE (or stop()) comes. A new file starts when the frame size or type
// changes or after max_frames_per_file.
//
// The socket reader and the pipeline worker only queue shared message bytes
// (no copy, never a wait); one writer thread decodes, compresses and writes.
// The queue is bounded: when the disk cannot keep up, frames are skipped,
// counted and logged (first, then at most every 5 s). Headers are rewritten
// every header_interval_s and at stop(), so the files on disk stay a readable
// sequence; a write error stops that series with one error line, and the
// bridge goes on. An IMAGE whose content cannot be recorded (it does not
// decode: wrong pixel count for its dims, unknown scalar type, ...; or it is
// a partial subvolume) is skipped and counted (skipped_malformed) before any
// file changes, and the device's recording goes on with its next good frame;
// the warning is rate-limited per device and reason (the first in full, then
// a count at most every 10 s, the rest at stop()).
#pragma once

#include <condition_variable>
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/rate_limited_log.hpp"
#include "transport/message.hpp"

namespace igtb {

struct RecorderOptions {
  std::string dir;                    ///< created if missing
  bool compress = true;               ///< zlib (.igs.zraw) or raw (.igs.raw)
  std::size_t queue_frames = 32;      ///< bound of the writer's queue, in frames (images + label maps)
  std::size_t max_frames_per_file = 3000;
  double header_interval_s = 1.0;
};

struct RecorderStats {
  std::uint64_t images = 0;   ///< input frames written
  std::uint64_t labels = 0;   ///< label maps written
  std::uint64_t skipped = 0;  ///< not written: the queue was full
  /// Not written: an IMAGE (input or label map) whose content could not be
  /// recorded (does not decode, or is a partial subvolume); only that frame
  /// is skipped, the device's recording goes on.
  std::uint64_t skipped_malformed = 0;
  /// Not written: a write error (that device is then no longer recorded), or
  /// a label map from the pipeline that did not decode.
  std::uint64_t failed = 0;
  std::vector<std::string> files;  ///< header files started so far
};

class SessionRecorder {
 public:
  /// Creates the directory (and checks it is writable). Throws std::runtime_error.
  explicit SessionRecorder(RecorderOptions options);
  ~SessionRecorder();
  SessionRecorder(const SessionRecorder&) = delete;
  SessionRecorder& operator=(const SessionRecorder&) = delete;

  void start();
  /// Writes what is queued, closes every file (final headers); idempotent.
  void stop();

  /// Socket reader: each accepted input message (IMAGE or TRANSFORM).
  void on_input(const Message& m);
  /// Pipeline worker: a label map IMAGE message as sent to the clients.
  void on_labels(const SharedBytes& wire);

  RecorderStats stats() const;
  const std::string& directory() const { return opt_.dir; }

 private:
  struct Item {
    Message msg;          ///< IMAGE or TRANSFORM
    bool labels = false;  ///< a label map from the pipeline (else input)
  };
  struct Series;
  struct Seen {  ///< a transform value
    double timestamp;
    std::array<double, 16> matrix;
  };
  void push(Item item);
  void run();
  void take(const Item& item);
  void write(const Message& image, bool labels);
  /// Counts a frame skipped for its content and warns (rate-limited).
  void skip_malformed(const std::string& device, const std::string& why);
  /// Logs the summaries of skipped malformed frames that are due (all if final).
  void report_malformed(bool final);

  RecorderOptions opt_;
  std::string session_;  ///< time stamp prefix of the file names
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  std::size_t queued_frames_ = 0;  ///< IMAGEs in queue_ (TRANSFORMs are small)
  bool stopping_ = false;
  std::thread writer_;
  RecorderStats stats_;  ///< guarded by m_
  std::uint64_t skipped_unlogged_ = 0;
  std::int64_t last_skip_log_ms_ = -1;
  // Writer thread only:
  std::map<std::string, std::unique_ptr<Series>> series_;
  std::map<std::string, std::deque<Seen>> transforms_;  ///< recent values per device
  std::optional<Message> pending_image_;                ///< waits for its transforms
  RateLimitedLog malformed_log_;  ///< keys "<device>: <reason, numbers blanked>"
};

}  // namespace igtb
