// What the interop tests share: running igtl3_peer (the reference OpenIGTLink
// 3.1 library's program, tests/interop/peer) and checking what it decoded
// against what the bridge wrote.
#pragma once

#include "../support/catch.hpp"
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "../support/eventually.hpp"
#include "bridge/relay.hpp"
#include "pipeline/stages/contours.hpp"
#include "transport/content_check.hpp"
#include "transport/crc64.hpp"
#include "transport/downstream_server.hpp"
#include "transport/image_codec.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/status_codec.hpp"
#include "transport/string_codec.hpp"
#include "transport/transform_codec.hpp"

namespace igtb::interop_test {

using namespace igtb;

// --- running the peer ---------------------------------------------------------

inline std::string temp_path(const std::string& name) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/igtb_interop_XXXXXX";
    const char* d = mkdtemp(tmpl);
    if (!d) throw std::runtime_error("mkdtemp failed");
    return std::string(d);
  }();
  return dir + "/" + name;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct PeerRun {
  int exit_code = -1;
  std::vector<YAML::Node> lines;  ///< the JSON objects it printed, in order
  std::string stderr_text;
};

/// Runs igtl3_peer with args (shell words), to the end; its stdout is parsed.
inline PeerRun run_peer(const std::string& args, const std::function<void(const YAML::Node&)>& on_line = {}) {
  static std::atomic<int> runs{0};  // the sockets tests run two peers at once
  const std::string err = temp_path("peer_stderr_" + std::to_string(++runs) + ".txt");
  // Leaks are not what is tested (the library keeps some at exit); reads past a buffer are.
  const std::string cmd = "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 '" + std::string(IGTB_IGTL3_PEER) + "' " +
                          args + " 2>'" + err + "'";
  PeerRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string line;
  char buf[65536];
  while (fgets(buf, sizeof buf, p)) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    if (line[0] == '{') {
      YAML::Node n = YAML::Load(line);
      if (on_line) on_line(n);
      r.lines.push_back(n);
    }
    line.clear();
  }
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.stderr_text = slurp(err);
  return r;
}

inline void write_file(const std::string& path, const std::vector<Bytes>& messages) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& m : messages) out.write(reinterpret_cast<const char*>(m.data()), std::streamsize(m.size()));
  REQUIRE(out.good());
}

inline std::uint16_t free_port() {
  Socket probe = Socket::listen_tcp("127.0.0.1", 0);
  return probe.local_port();
}

// --- expectations ---------------------------------------------------------------

inline std::string fnv1a(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

inline bool close_to(double a, double b) { return std::abs(a - b) <= 1e-5 * std::max(1.0, std::abs(b)); }

inline std::map<std::string, std::string> metadata_of(const YAML::Node& n) {
  std::map<std::string, std::string> md;
  if (n["metadata"])
    for (const auto& kv : n["metadata"]) md[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return md;
}

/// The content fields of a peer line: without the framing (version, sizes,
/// unpack results, metadata), which a reframed message changes.
inline YAML::Node content_only(const YAML::Node& n) {
  YAML::Node c = YAML::Clone(n);
  for (const char* k : {"header_version", "body_size", "unpack", "header_unpack", "message_unpack", "crc_ok",
                        "metadata", "metadata_count", "metadata_encoding", "ext_header", "message_id"})
    c.remove(k);
  return c;
}

inline std::map<std::string, std::string> as_map(const Metadata& md) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : md) out[k] = v;
  return out;
}

/// One message as we wrote it, and what the reference library must find in it.
struct Sent {
  Bytes wire;
  std::string type, device;
  std::uint16_t version = 1;
  Metadata metadata;
  std::function<void(const YAML::Node&)> check;  ///< the content
};

inline void check_header(const YAML::Node& n, const Sent& s) {
  INFO(YAML::Dump(n));
  REQUIRE(n["ok"].as<bool>());  // UNPACK_HEADER and UNPACK_BODY, CRC checked
  CHECK((n["unpack"].as<int>() & 3) == 3);
  CHECK(n["type"].as<std::string>() == s.type);
  CHECK(n["device"].as<std::string>() == s.device);
  CHECK(n["header_version"].as<int>() == s.version);
  CHECK(metadata_of(n) == (s.version >= 2 ? as_map(s.metadata) : std::map<std::string, std::string>{}));
}

inline void check_image(const YAML::Node& n, const ImageView& img) {
  INFO(YAML::Dump(n));
  for (int i = 0; i < 3; ++i) CHECK(n["dims"][i].as<int>() == img.dims[i]);
  CHECK(n["scalar_type"].as<int>() == int(img.scalar));
  CHECK(n["components"].as<int>() == img.components);
  for (int i = 0; i < 12; ++i) CHECK(close_to(n["matrix12"][i].as<double>(), img.matrix[std::size_t(i)]));
  CHECK(n["pixel_bytes"].as<std::size_t>() == img.pixel_bytes());
  // We write pixels in host order and label them so; the library keeps the bytes as they are.
  const bool little = n["endian"].as<int>() == 2;
  REQUIRE(little);
  CHECK(n["pixels_fnv1a"].as<std::string>() == fnv1a(img.pixels, img.pixel_bytes()));
}

inline void check_polydata(const YAML::Node& n, const PolyData& pd) {
  INFO(YAML::Dump(n));
  REQUIRE(n["points"].size() == pd.points.size());
  for (std::size_t i = 0; i < pd.points.size(); ++i)
    for (std::size_t k = 0; k < 3; ++k) CHECK(n["points"][i][k].as<float>() == pd.points[i][k]);
  auto cells = [&](const char* key, const std::vector<std::vector<std::uint32_t>>& want) {
    INFO(key);
    const std::size_t have = n[key] ? n[key].size() : 0;
    REQUIRE(have == want.size());
    for (std::size_t c = 0; c < want.size(); ++c) {
      REQUIRE(n[key][c].size() == want[c].size());
      for (std::size_t k = 0; k < want[c].size(); ++k) CHECK(n[key][c][k].as<std::uint32_t>() == want[c][k]);
    }
  };
  cells("vertices", pd.vertices);
  cells("lines", pd.lines);
  cells("polygons", pd.polygons);
  const std::size_t attrs = n["attributes"] ? n["attributes"].size() : 0;
  REQUIRE(attrs == pd.attributes.size());
  for (std::size_t a = 0; a < attrs; ++a) {
    const auto& want = pd.attributes[a];
    const YAML::Node& have = n["attributes"][a];
    CHECK(have["name"].as<std::string>() == want.name);
    CHECK(((have["type"].as<int>() & 0x10) != 0) == want.per_cell);
    // The reference library reads every cell attribute as 9 floats a tuple
    // (igtl_polydata.c: types other than point scalar/vector/normal are
    // tensors): ours go out that way, the components first, the rest zero.
    const std::uint32_t stride = want.per_cell ? 9 : want.components;
    CHECK(have["components"].as<std::uint32_t>() == stride);
    const std::size_t tuples = want.values.size() / want.components;
    REQUIRE(have["data"].size() == tuples * stride);
    for (std::size_t t = 0; t < tuples; ++t)
      for (std::uint32_t c = 0; c < stride; ++c)
        CHECK(have["data"][t * stride + c].as<float>() ==
              (c < want.components ? want.values[t * want.components + c] : 0.0f));
  }
}

/// Pixels deterministic in their index, of any scalar type.
inline Image test_image(ScalarType scalar, std::uint8_t components, std::array<std::uint16_t, 3> dims) {
  Image img;
  img.dims = dims;
  img.subvolume_size = dims;
  img.components = components;
  img.scalar = scalar;
  img.coordinate = 1;
  // A rotated, scaled plane off the origin: spacing 0.2 / 0.3 / 1.5, centre (12, -7.5, 30).
  img.matrix = {0.2f * 0.8f, 0.2f * 0.6f, 0, -0.3f * 0.6f, 0.3f * 0.8f, 0, 0, 0, 1.5f, 12.0f, -7.5f, 30.0f};
  const std::size_t n = std::size_t(dims[0]) * dims[1] * dims[2] * components;
  img.pixels.resize(n * scalar_size(scalar));
  for (std::size_t i = 0; i < n; ++i) {
    const long v = long((i * 37 + 11) % 251) - (scalar == ScalarType::Int8 || scalar == ScalarType::Int16 ||
                                                       scalar == ScalarType::Int32
                                                   ? 100
                                                   : 0);
    std::uint8_t* p = img.pixels.data() + i * scalar_size(scalar);
    switch (scalar) {
      case ScalarType::Int8: { const auto x = std::int8_t(v); std::memcpy(p, &x, 1); break; }
      case ScalarType::UInt8: { const auto x = std::uint8_t(v); std::memcpy(p, &x, 1); break; }
      case ScalarType::Int16: { const auto x = std::int16_t(v * 97); std::memcpy(p, &x, 2); break; }
      case ScalarType::UInt16: { const auto x = std::uint16_t(v * 197); std::memcpy(p, &x, 2); break; }
      case ScalarType::Int32: { const auto x = std::int32_t(v * 100003); std::memcpy(p, &x, 4); break; }
      case ScalarType::UInt32: { const auto x = std::uint32_t(v * 1000003); std::memcpy(p, &x, 4); break; }
      case ScalarType::Float32: { const auto x = float(v) / 7.0f; std::memcpy(p, &x, 4); break; }
      case ScalarType::Float64: { const auto x = double(v) / 7.0; std::memcpy(p, &x, 8); break; }
    }
  }
  return img;
}

const ScalarType kScalars[] = {ScalarType::Int8,  ScalarType::UInt8,  ScalarType::Int16,   ScalarType::UInt16,
                               ScalarType::Int32, ScalarType::UInt32, ScalarType::Float32, ScalarType::Float64};

/// Everything the bridge writes, in header versions 1 and 2, with and without
/// metadata: label maps, contours (an empty one too), the state and status
/// texts, keep-alives, and images of every scalar type with 1, 3 and 4
/// components as the relay reframes them.
inline std::vector<Sent> bridge_messages() {
  struct Variant {
    std::uint16_t version;
    Metadata md;
    const char* tag;
  };
  const Variant variants[] = {
      {1, {}, "v1"},
      {2, {}, "v2"},
      {2, {{"PlusFrameNumber", "42"}, {"Timestamp", "1234.5"}, {"ProbeToReferenceTransformStatus", "OK"}}, "v2m"}};
  std::vector<Sent> out;
  std::uint64_t ts = timestamp_from_seconds(1700000000.25);
  auto add = [&](Sent s) {
    out.push_back(std::move(s));
    ts += 1ULL << 28;
  };
  for (const Variant& v : variants) {
    // The label map: uint8, the input's geometry.
    {
      auto labels = std::make_shared<Image>(test_image(ScalarType::UInt8, 1, {64, 48, 1}));
      for (std::size_t i = 0; i < labels->pixels.size(); ++i) labels->pixels[i] = 0;
      for (int y = 10; y < 30; ++y)
        for (int x = 8; x < 40; ++x) labels->pixels[std::size_t(y) * 64 + std::size_t(x)] = 1;
      for (int y = 32; y < 44; ++y)
        for (int x = 44; x < 60; ++x) labels->pixels[std::size_t(y) * 64 + std::size_t(x)] = 2;
      const Envelope env{"IMAGE", "BoneMask", ts, v.version, 7, v.md};
      add({encode_image(env, *labels), "IMAGE", "BoneMask", v.version, v.md,
           [labels](const YAML::Node& n) { check_image(n, *labels); }});
      // Its contours, as the bridge extracts them: lines with a per-cell "label" array.
      auto contours = std::make_shared<PolyData>(label_contours(labels->pixels.data(), *labels));
      REQUIRE(contours->lines.size() >= 2);
      const Envelope cenv{"POLYDATA", "BoneContour", ts, v.version, 8, v.md};
      add({encode_polydata(cenv, *contours), "POLYDATA", "BoneContour", v.version, v.md,
           [contours](const YAML::Node& n) { check_polydata(n, *contours); }});
    }
    // An empty contour (no label in the frame).
    {
      auto empty = std::make_shared<PolyData>();
      const Envelope env{"POLYDATA", "BoneContour", ts, v.version, 0, v.md};
      add({encode_polydata(env, *empty), "POLYDATA", "BoneContour", v.version, v.md,
           [empty](const YAML::Node& n) { check_polydata(n, *empty); }});
    }
    // A polydata with every cell kind and point and cell attributes.
    {
      auto pd = std::make_shared<PolyData>();
      pd->points = {{0, 0, 0}, {1.5f, 0, 0}, {1.5f, 2.25f, 0}, {0, 2.25f, -1}, {5, 5, 5}};
      pd->vertices = {{4}};
      pd->lines = {{0, 1, 2, 0}};
      pd->polygons = {{0, 1, 2, 3}};
      pd->attributes.push_back({"label", true, 1, {1, 2, 3}});
      pd->attributes.push_back({"normal", false, 3, {0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0}});
      const Envelope env{"POLYDATA", "Model", ts, v.version, 0, v.md};
      add({encode_polydata(env, *pd), "POLYDATA", "Model", v.version, v.md,
           [pd](const YAML::Node& n) { check_polydata(n, *pd); }});
    }
    // The per-frame state and the status: STRING, JSON text.
    for (const char* device : {"BoneMaskState", "IgtbridgeStatus"}) {
      const std::string json = std::string("{\"frame\": 3, \"device\": \"Image_Reference\", \"name\": \"") + device +
                               "\", \"tracks\": [{\"id\": 1, \"box\": [1.5, 2, 3, 4]}]}";
      const Envelope env{"STRING", device, ts, v.version, 0, v.md};
      add({encode_string(env, Text{3, json}), "STRING", device, v.version, v.md, [json](const YAML::Node& n) {
             CHECK(n["encoding"].as<int>() == 3);
             CHECK(n["string"].as<std::string>() == json);
           }});
    }
    {
      const std::string text = "UTF-8: \xc2\xb5m, \xe2\x86\x92 done";
      const Envelope env{"STRING", "Note", ts, v.version, 0, v.md};
      add({encode_string(env, Text{106, text}), "STRING", "Note", v.version, v.md, [text](const YAML::Node& n) {
             CHECK(n["encoding"].as<int>() == 106);
             CHECK(n["string"].as<std::string>() == text);
           }});
    }
    // STATUS: a keep-alive / GET_STATUS answer, and one with every field.
    {
      Bytes reply = make_status_reply("", v.version);
      if (!v.md.empty()) {  // the same with metadata, framed by hand
        const Message m = decode_message(std::make_shared<Bytes>(reply), true);
        reply = frame_message(Envelope{"STATUS", "", m.header.timestamp, 2, 0, v.md}, m.content(), m.content_size);
      }
      add({reply, "STATUS", "", v.version, v.md, [](const YAML::Node& n) {
             CHECK(n["code"].as<int>() == 1);
             CHECK(n["status_string"].as<std::string>().empty());
           }});
      Status s;
      s.code = Status::NotFound;
      s.subcode = -5;
      s.error_name = "NoFrame";
      s.message = "no frame for 2 s";
      const Envelope env{"STATUS", "IgtbridgeHealth", ts, v.version, 0, v.md};
      add({encode_status(env, s), "STATUS", "IgtbridgeHealth", v.version, v.md, [s](const YAML::Node& n) {
             CHECK(n["code"].as<int>() == s.code);
             CHECK(n["subcode"].as<std::int64_t>() == s.subcode);
             CHECK(n["error_name"].as<std::string>() == s.error_name);
             CHECK(n["status_string"].as<std::string>() == s.message);
           }});
    }
    // TRANSFORM: rotation + translation.
    {
      const Matrix4f m = {0.8f, -0.6f, 0, 10.5f, 0.6f, 0.8f, 0, -3.25f, 0, 0, 1, 100, 0, 0, 0, 1};
      const Envelope env{"TRANSFORM", "ProbeToReference", ts, v.version, 0, v.md};
      add({encode_transform(env, m), "TRANSFORM", "ProbeToReference", v.version, v.md, [m](const YAML::Node& n) {
             INFO(YAML::Dump(n));
             // matrix12 is the wire order: the rotation's columns, then the translation.
             for (int c = 0; c < 4; ++c)
               for (int r = 0; r < 3; ++r)
                 CHECK(close_to(n["matrix12"][3 * c + r].as<double>(), m[std::size_t(4 * r + c)]));
           }});
    }
    // The segment shape's label volume of a 3D IMAGE: uint8 class values, slice after slice.
    {
      auto volume = std::make_shared<Image>(test_image(ScalarType::UInt8, 1, {16, 12, 5}));
      for (std::size_t i = 0; i < volume->pixels.size(); ++i) volume->pixels[i] = std::uint8_t(i % 3);
      const Envelope env{"IMAGE", "BoneMaskVolume", ts, v.version, 0, v.md};
      add({encode_image(env, *volume), "IMAGE", "BoneMaskVolume", v.version, v.md,
           [volume](const YAML::Node& n) { check_image(n, *volume); }});
    }
    // Forwarded IMAGEs (the relay reframes them in the client's version): every scalar type, 1/3/4 components.
    for (ScalarType scalar : kScalars)
      for (std::uint8_t comps : {1, 3, 4}) {
        auto img = std::make_shared<Image>(test_image(scalar, comps, {9, 7, 1}));
        const std::string device = "img_" + std::string(scalar_name(scalar)) + "_c" + std::to_string(comps);
        const Envelope env{"IMAGE", device, ts, v.version, 0, v.md};
        add({encode_image(env, *img), "IMAGE", device, v.version, v.md,
             [img](const YAML::Node& n) { check_image(n, *img); }});
      }
  }
  // The v3 layout, as the reference library writes it: the metadata header
  // always holds its 2-byte count.
  for (const auto& s : out) {
    if (s.version != 2) continue;
    const std::uint8_t* body = s.wire.data() + kHeaderSize;
    CHECK(get_be16(body + 2) == 2 + 8 * s.metadata.size());
  }
  return out;
}

inline void check_all(const std::vector<Sent>& sent, const PeerRun& run) {
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.lines.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    INFO("message " << i << ": " << sent[i].type << " '" << sent[i].device << "' v" << sent[i].version << " with "
                    << sent[i].metadata.size() << " metadata");
    check_header(run.lines[i], sent[i]);
    sent[i].check(run.lines[i]);
  }
}

}  // namespace igtb::interop_test
