// Two branches of a frame's device work at once. Work queued while a
// Branch is open runs on the fork's own second stream, after everything
// queued on the opening (current) stream before it; Branch::join() makes
// the opening stream wait for the branch. Inside a CUDA graph capture the
// branch becomes a parallel path of the graph (CUDA's event fork/join), so
// each replay runs both paths at once too. The pipeline runs the
// segmenter's image encoder this way, beside the detector: it needs the
// frame, not the detections.
//
// Memory: a tensor made on one branch and used on the other needs no
// record_stream as long as the caller keeps it alive until after join(), and
// the fork's stream runs nothing but branches opened from one stream: a
// block made on the opening stream is then reused there behind the join, and
// a block made on the fork's stream (freed after its use on the opening
// stream) is reused only by the next branch, which starts behind the work
// queued before it, that use included. Blocks cached for the fork's stream
// serve only it, so the branch's working memory is held once more.
#pragma once

#include <c10/core/Stream.h>
#include <torch/torch.h>

#include <memory>

namespace igtb {

class OwnedStream;

class StreamFork {
 public:
  /// A second stream (the fork's own) and two events on `device`. Throws
  /// std::invalid_argument for a device that is not CUDA, std::logic_error
  /// where the build has no CUDA.
  explicit StreamFork(const torch::Device& device);
  ~StreamFork();
  StreamFork(const StreamFork&) = delete;
  StreamFork& operator=(const StreamFork&) = delete;

  /// One branch, opened behind the work queued so far on the current
  /// stream; the fork's stream is current while it is open. One unjoined
  /// branch per fork at a time: a second throws std::logic_error; a CUDA
  /// error throws std::runtime_error.
  class Branch {
   public:
    explicit Branch(StreamFork& fork);
    /// Closes the branch if open; joins it if not joined (errors ignored:
    /// this is the unwinding path, and a failed capture reports its own).
    ~Branch();
    Branch(const Branch&) = delete;
    Branch& operator=(const Branch&) = delete;
    /// Stops queueing on the branch: the opening stream is current again.
    void close();
    /// Closes, then makes the opening stream wait for the branch's work.
    /// Throws std::runtime_error for a CUDA error.
    void join();

   private:
    void join_impl(bool quietly);
    StreamFork& fork_;
    c10::Stream origin_;
    bool open_ = true, joined_ = false;
  };

  const c10::Stream& side() const;

 private:
  friend class Branch;
  torch::Device device_;
  std::unique_ptr<OwnedStream> side_;
  void* forked_ = nullptr;  ///< cudaEvent_t: the opening stream's work before the branch
  void* joined_ = nullptr;  ///< cudaEvent_t: the branch's work
  bool busy_ = false;       ///< a branch is unjoined
};

}  // namespace igtb
