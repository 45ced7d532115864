// Relay mode (pipeline.enabled: false): upstream IMAGE, TRANSFORM, STATUS and
// STRING messages go to every downstream client. A client that speaks the
// message's header version gets the bytes exactly as they arrived (metadata
// and CRC included); one that speaks the other version gets the same content
// reframed in its version (version 1 has no place for metadata). A message
// whose content is malformed for its type is dropped, counted and warned
// about once per device and reason; PlusServer's keep-alives (STATUS with an
// empty device name) stop here. The connectivity check, and the base that the
// inference pipeline replaces the IMAGE path of.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/rate_limited_log.hpp"
#include "transport/downstream_server.hpp"
#include "transport/upstream.hpp"

namespace igtb {

struct RelayOptions {
  std::string input_mode = "connect";  ///< "connect" (client of PlusServer) or "listen"
  UpstreamOptions upstream;
  ServerOptions downstream;
  std::vector<std::string> image_devices;      ///< empty: every IMAGE
  std::vector<std::string> transform_devices;  ///< empty: every TRANSFORM
  bool forward_images = true;  ///< send accepted IMAGEs on (with a sink, the sink gets them too)
};

struct RelayStats {
  std::uint64_t images = 0;
  std::uint64_t transforms = 0;
  std::uint64_t texts = 0;      ///< STATUS and STRING forwarded
  std::uint64_t malformed = 0;  ///< dropped: content malformed for its type
  std::uint64_t bytes = 0;
  std::uint64_t dropped = 0;  ///< from client queues
  std::size_t clients = 0;
  bool upstream_connected = false;
  std::uint64_t upstream_connections = 0;
  std::uint64_t sent_messages = 0, sent_bytes = 0;  ///< to the clients, all of them
  std::uint64_t client_connections = 0;              ///< clients accepted since start
  std::uint64_t clients_refused = 0;                 ///< allow-list or max_clients
};

/// Whether a header passes the relay's type and device filters (IMAGE and
/// TRANSFORM by the device lists; STATUS and STRING always).
bool relay_accepts(const RelayOptions& options, const Header& h);

class Relay {
 public:
  explicit Relay(RelayOptions options);
  ~Relay();
  /// Where accepted IMAGE messages go besides (or, with forward_images
  /// false, instead of) the clients. Set before start(); called on the
  /// upstream reader thread, so it must hand off quickly.
  void set_image_sink(std::function<void(Message&&)> sink) { image_sink_ = std::move(sink); }
  /// Sees every accepted message (IMAGE and TRANSFORM) first, e.g. a recorder.
  /// Set before start(); called on the upstream reader thread, must not block.
  void set_input_tap(std::function<void(const Message&)> tap) { input_tap_ = std::move(tap); }
  /// Where accepted messages are received into (ReaderOptions::buffer),
  /// e.g. the pipeline's page-locked buffers for IMAGEs. Set before start().
  void set_buffer_source(std::function<std::shared_ptr<Bytes>(const Header&, std::size_t)> source) {
    buffer_source_ = std::move(source);
  }
  /// The output server, for what the pipeline produces.
  DownstreamServer& server() { return server_; }
  /// Opens the output server, then the upstream side. Throws SocketError.
  void start();
  void stop();
  std::uint16_t output_port() const;
  /// Local port of the upstream listener (listen mode), else 0.
  std::uint16_t input_port() const;
  RelayStats stats() const;
  std::string upstream_name() const;

 private:
  void on_upstream(Message&& m);
  /// Queues m for every client, each in its header version.
  void forward(const Message& m);
  /// Logs a malformed message once per device and reason.
  void warn_malformed(const Message& m, const std::string& why);

  RelayOptions opt_;
  std::function<void(Message&&)> image_sink_;
  std::function<void(const Message&)> input_tap_;
  std::function<std::shared_ptr<Bytes>(const Header&, std::size_t)> buffer_source_;
  DownstreamServer server_;
  std::unique_ptr<Upstream> upstream_;
  std::atomic<std::uint64_t> images_{0}, transforms_{0}, texts_{0}, malformed_{0}, bytes_{0};
  RateLimitedLog warned_;  ///< device + kind of error already logged (bounded, thread-safe)
};

/// One line for the periodic log: rates over `seconds` since `before`.
std::string relay_summary(const RelayStats& now, const RelayStats& before, double seconds);

}  // namespace igtb
