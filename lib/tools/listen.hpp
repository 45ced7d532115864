// igtbridge-listen's engine: a 3D Slicer stand-in that connects, prints one
// line per message, checks each content with our decoders and optionally
// saves IMAGE as .nrrd (with geometry) and POLYDATA as legacy .vtk.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "transport/message.hpp"

namespace igtb {

struct ListenOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 18945;
  std::uint64_t count = 0;     ///< stop after this many messages; 0 = until stopped
  double timeout_s = 0;        ///< overall deadline (connecting included); 0 = none
  double idle_s = 0;           ///< after the first message, end normally once none came for this long; 0 = never
  /// Devices whose messages do not end idleness (they are still printed and
  /// counted): the bridge's once-a-second status STRING. Keep-alives never do.
  std::vector<std::string> idle_ignore{"IgtbridgeStatus"};
  std::string save_dir;        ///< empty: save nothing
  bool hello = true;           ///< send a v2 STATUS on connect, as Slicer does
  bool check_crc = true;
  std::uint64_t max_message_bytes = 256ULL << 20;
};

struct ListenResult {
  int exit_code = 0;           ///< 0 ok, 1 timeout / connection lost, 2 malformed message
  std::uint64_t messages = 0;
  std::string error;           ///< why, when exit_code != 0
  std::uint64_t keepalives = 0;  ///< STATUS keep-alives received (not in messages)
};

/// One line describing a message: type, device, size, timestamp, and for
/// IMAGE dims/type/spacing. Throws ProtocolError if the content is malformed.
std::string describe_message(const Message& m);

/// Saves IMAGE as <dir>/<device>_<n>.nrrd and POLYDATA as <dir>/<device>_<n>.vtk;
/// returns the path written, or "" for other types.
std::string save_message(const Message& m, const std::string& dir, std::uint64_t n);

/// Connects (retrying until the deadline), reads and checks messages.
/// on_line gets each printed line; on_message (optional) each message.
ListenResult listen(const ListenOptions& options, const std::atomic<bool>& stop,
                    const std::function<void(const std::string&)>& on_line,
                    const std::function<void(const Message&)>& on_message = {});

}  // namespace igtb
