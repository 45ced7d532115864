#include "tools/listen.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "io/nrrd_writer.hpp"
#include "io/vtk_writer.hpp"
#include "transport/image_codec.hpp"
#include "transport/message_reader.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/status_codec.hpp"
#include "transport/string_codec.hpp"
#include "transport/transform_codec.hpp"
#include "transport/upstream.hpp"

namespace igtb {
namespace {

std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

std::string safe_name(const std::string& device) {
  std::string s = device.empty() ? "unnamed" : device;
  for (auto& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') ch = '_';
  return s;
}

}  // namespace

std::string describe_message(const Message& m) {
  std::string line = m.type() + " '" + m.device() + "' " + std::to_string(m.wire->size()) + " B v" +
                     std::to_string(m.header.version) + " ts " + fmt("%.6f", timestamp_to_seconds(m.header.timestamp));
  if (m.type() == "IMAGE") {
    const ImageLayout l = decode_image_layout(m.content(), m.content_size);
    const auto sp = image_spacing(l.info);
    line += " " + std::to_string(l.info.dims[0]) + "x" + std::to_string(l.info.dims[1]) + "x" +
            std::to_string(l.info.dims[2]) + " " + std::string(scalar_name(l.info.scalar)) + " x" +
            std::to_string(l.info.components) + " spacing " + fmt("%g %g %g", sp[0], sp[1], sp[2]) + " centre " +
            fmt("%g %g %g", l.info.matrix[9], l.info.matrix[10], l.info.matrix[11]);
  } else if (m.type() == "TRANSFORM") {
    const auto t = decode_transform(m);
    line += " translation " + fmt("%g %g %g", t[3], t[7], t[11]);
  } else if (m.type() == "POLYDATA") {
    const auto pd = decode_polydata(m);
    line += " " + std::to_string(pd.points.size()) + " points, " + std::to_string(pd.lines.size()) + " lines, " +
            std::to_string(pd.polygons.size()) + " polygons";
  } else if (m.type() == "STATUS") {
    const auto s = decode_status(m);
    line += " code " + std::to_string(s.code) + " '" + s.message + "'";
  } else if (m.type() == "STRING") {
    const auto t = decode_string(m);
    line += " \"" + (t.text.size() > 120 ? t.text.substr(0, 117) + "..." : t.text) + "\"";
  }
  if (!m.metadata.empty()) line += " (" + std::to_string(m.metadata.size()) + " metadata)";
  return line;
}

std::string save_message(const Message& m, const std::string& dir, std::uint64_t n) {
  char idx[16];
  std::snprintf(idx, sizeof idx, "%06llu", static_cast<unsigned long long>(n));
  const std::string base = dir + "/" + safe_name(m.device()) + "_" + idx;
  if (m.type() == "IMAGE" || m.type() == "POLYDATA") std::filesystem::create_directories(dir);
  if (m.type() == "IMAGE") {
    const Image img = decode_image(m);
    const Matrix4d ijk = ijk_to_ras_from_wire(img.matrix, img.dims);
    io::NrrdImage out;
    for (int i = 0; i < 3; ++i) out.dims[i] = img.dims[i];
    if (img.subvolume_size != img.dims)
      throw ProtocolError("IMAGE '" + m.device() + "' carries a subvolume; saving subvolumes is not supported");
    out.components = img.components;
    out.scalar = img.scalar;
    for (int c = 0; c < 3; ++c)
      for (int r = 0; r < 3; ++r) out.directions[c][r] = ijk[4 * r + c];
    for (int r = 0; r < 3; ++r) out.origin[r] = ijk[4 * r + 3];
    out.data = img.pixels.data();
    out.key_values["igtl_timestamp"] = fmt("%.6f", timestamp_to_seconds(m.header.timestamp));
    for (const auto& [k, v] : m.metadata) out.key_values["igtl_" + k] = v;
    io::write_nrrd(base + ".nrrd", out);
    return base + ".nrrd";
  }
  if (m.type() == "POLYDATA") {
    io::write_vtk_polydata(base + ".vtk", decode_polydata(m));
    return base + ".vtk";
  }
  return "";
}

ListenResult listen(const ListenOptions& o, const std::atomic<bool>& stop,
                    const std::function<void(const std::string&)>& on_line,
                    const std::function<void(const Message&)>& on_message) {
  using clock = std::chrono::steady_clock;
  const auto deadline = o.timeout_s > 0 ? clock::now() + std::chrono::duration_cast<clock::duration>(
                                                             std::chrono::duration<double>(o.timeout_s))
                                        : clock::time_point::max();
  ListenResult r;
  const std::string name = o.host + ":" + std::to_string(o.port);

  Socket s;
  std::string last_error;
  bool said = false;
  while (!s.valid()) {
    if (stop) return r;
    try {
      s = Socket::connect_tcp(o.host, o.port, 1000);
    } catch (const std::exception& e) {
      last_error = e.what();
      if (clock::now() >= deadline) return {1, 0, "cannot connect to " + name + ": " + last_error};
      if (!said) {  // once: what it waits for, and until when
        spdlog::warn("waiting for a server on {} ({}); retrying every 0.1 s {}", name, last_error,
                     o.timeout_s > 0 ? "until --timeout " + fmt("%g", o.timeout_s) + " s" : "until interrupted");
        said = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (o.hello) {
    const Bytes hello = make_hello_status("igtbridge-listen");
    s.send_all(hello.data(), hello.size());
  }

  // A watchdog turns the deadline into a stop for the blocking reader.
  std::atomic<bool> halt{false};
  std::atomic<bool> timed_out{false};
  std::atomic<std::int64_t> last_message_ns{0};  // steady clock; 0 = none yet
  const auto idle = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(o.idle_s));
  std::thread watchdog([&] {
    while (!halt) {
      if (stop) halt = true;
      const std::int64_t last = last_message_ns.load();
      if (o.idle_s > 0 && last != 0 && clock::now().time_since_epoch() - std::chrono::nanoseconds(last) > idle)
        halt = true;
      if (clock::now() >= deadline) {
        timed_out = true;
        halt = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  struct Join {
    std::atomic<bool>& halt;
    std::thread& t;
    ~Join() {
      halt = true;
      t.join();
    }
  } join{halt, watchdog};

  ReaderOptions ro;
  ro.check_crc = o.check_crc;
  ro.max_message_bytes = o.max_message_bytes;
  MessageReader reader(s, ro, name);
  try {
    while (o.count == 0 || r.messages < o.count) {
      auto m = reader.next(halt);
      const auto& st = reader.stats();
      if (st.crc_errors || st.malformed) return {2, r.messages, "malformed message from " + name + " (see warning above)"};
      if (!m) break;
      // A server's keep-alive (STATUS, empty device name: PlusServer's and the
      // bridge's) is not content: not counted, and it does not end idleness.
      if (m->type() == "STATUS" && m->device().empty()) {
        ++r.keepalives;
        continue;
      }
      if (std::find(o.idle_ignore.begin(), o.idle_ignore.end(), m->device()) == o.idle_ignore.end())
        last_message_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
      ++r.messages;
      std::string line = describe_message(*m);
      if (!o.save_dir.empty()) {
        const std::string path = save_message(*m, o.save_dir, r.messages);
        if (!path.empty()) line += " -> " + path;
      }
      on_line(line);
      if (on_message) on_message(*m);
    }
  } catch (const ConnectionClosed& e) {
    return {1, r.messages, name + ": " + e.what()};
  } catch (const ProtocolError& e) {
    return {2, r.messages, "malformed message from " + name + ": " + e.what()};
  } catch (const std::exception& e) {
    return {1, r.messages, name + ": " + e.what()};
  }
  if (!timed_out && !stop && o.count != 0 && r.messages < o.count) {
    r.exit_code = 1;
    r.error = "idle: no message for " + fmt("%g", o.idle_s) + " s after " + std::to_string(r.messages) + " of " +
              std::to_string(o.count) + " messages";
    return r;
  }
  if (timed_out && (o.count == 0 || r.messages < o.count)) {
    if (o.count == 0) return r;  // no count asked: the deadline is the normal end
    r.exit_code = 1;
    r.error = "timeout: " + std::to_string(r.messages) + " of " + std::to_string(o.count) + " messages in " +
              fmt("%g", o.timeout_s) + " s";
  }
  return r;
}

}  // namespace igtb
