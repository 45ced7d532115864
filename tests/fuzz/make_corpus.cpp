// Writes the fuzz seed corpora (tests/fuzz/corpus/<target>/) from real
// messages: frames of the bundled PLUS recordings cropped to 16x16 and
// encoded with the project's own encoders (v1 and v2 headers, with metadata),
// the bundled small test files, and config/igtbridge.yaml with variants.
//
//   igtb_fuzz_make_corpus <repo root> <output dir>
//
// Deterministic: running it again writes the same bytes. Built with
// -DIGTB_FUZZ=ON (target igtb_fuzz_make_corpus); see scripts/make_fuzz_corpus.sh.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/sequence.hpp"
#include "io/sequence_writer.hpp"
#include "transport/image_codec.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/status_codec.hpp"
#include "transport/string_codec.hpp"
#include "transport/transform_codec.hpp"

using namespace igtb;
namespace fs = std::filesystem;

namespace {

fs::path g_out;
int g_files = 0;

void write_file(const std::string& target, const std::string& name, const std::uint8_t* p, std::size_t n) {
  const fs::path dir = g_out / target;
  fs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(p), std::streamsize(n));
  if (!f) throw std::runtime_error("cannot write " + (dir / name).string());
  ++g_files;
}
template <class C>
void write_file(const std::string& target, const std::string& name, const C& bytes) {
  write_file(target, name, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The content of an encoded message (what the body decoders read).
Bytes content_of(const Bytes& wire) {
  const Message m = decode_message(std::make_shared<const Bytes>(wire), true);
  return Bytes(m.content(), m.content() + m.content_size);
}

Envelope envelope(const std::string& type, const std::string& device, std::uint16_t version) {
  Envelope e;
  e.type = type;
  e.device = device;
  e.timestamp = timestamp_from_seconds(1700000000.25);
  e.header_version = version;
  e.message_id = 7;
  if (version == 2) e.metadata = {{"Status", "OK"}, {"StreamId", "fuzz"}};
  return e;
}

/// Frame f of seq cropped to at most w x h pixels (all components), centred.
Image crop(const io::Sequence& seq, std::size_t f, std::uint16_t w, std::uint16_t h) {
  const std::size_t fw = seq.frame_dims[0], fh = seq.frame_dims[1];
  const std::uint16_t cw = std::uint16_t(std::min<std::size_t>(w, fw));
  const std::uint16_t ch = std::uint16_t(std::min<std::size_t>(h, fh));
  const std::size_t x0 = (fw - cw) / 2, y0 = (fh - ch) / 2;
  const std::size_t px = seq.components * scalar_size(seq.scalar);
  Image img;
  img.dims = {cw, ch, 1};
  img.subvolume_size = img.dims;
  img.components = std::uint8_t(seq.components);
  img.scalar = seq.scalar;
  const std::uint8_t* src = seq.frame_pixels(f);
  for (std::size_t y = 0; y < ch; ++y) {
    const std::uint8_t* row = src + ((y0 + y) * fw + x0) * px;
    img.pixels.insert(img.pixels.end(), row, row + cw * px);
  }
  Matrix4d m{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) m[4 * r + c] = seq.direction[3 * r + c] * seq.spacing[c];
    m[4 * r + 3] = seq.origin[r];
  }
  m[15] = 1;
  img.matrix = wire_matrix_from_ijk_to_ras(m, img.dims);
  return img;
}

/// An IMAGE content with its pixels stored big-endian (endian field 1).
Bytes big_endian_content(const Image& img) {
  Bytes c;
  append_image_content(img, c);
  const std::size_t w = scalar_size(img.scalar);
  c[4] = 1;  // IGTL_IMAGE_ENDIAN_BIG
  for (std::size_t i = kImageHeaderSize; i + w <= c.size(); i += w) std::reverse(&c[i], &c[i] + w);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s REPO_ROOT OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  g_out = argv[2];
  const fs::path data = root / "tests" / "data";
  try {
    // --- images from the recordings and the synthetic files ----------------
    const io::Sequence spine = io::read_sequence((data / "SpinePhantomFreehand.igs.mha").string());
    std::vector<Bytes> wires;  // whole messages for fuzz_header
    for (std::size_t f : {std::size_t(0), std::size_t(10)}) {
      const Image img = crop(spine, f, 16, 16);
      Bytes c;
      append_image_content(img, c);
      write_file("image", "spine_u8_16x16_f" + std::to_string(f), c);
      wires.push_back(encode_image(envelope("IMAGE", "Image_Reference", f == 0 ? 1 : 2), img));
    }
    {  // a 3D subvolume: 8x8x2 with a 4x4x1 part carried
      Image img = crop(spine, 5, 8, 8);
      Image sub = img;
      sub.dims = {8, 8, 2};
      sub.subvolume_offset = {2, 2, 1};
      sub.subvolume_size = {4, 4, 1};
      sub.pixels.assign(img.pixels.begin(), img.pixels.begin() + 16);
      Bytes c;
      append_image_content(sub, c);
      write_file("image", "spine_u8_subvolume", c);
    }
    for (const char* name : {"synthetic_float32_zlib.mha", "synthetic_int16_msb.mha", "synthetic_rgb.nrrd",
                             "synthetic_int16_gz.nrrd", "synthetic_single.mha"}) {
      const io::Sequence seq = io::read_sequence((data / name).string());
      const Image img = crop(seq, 0, 16, 16);
      Bytes c;
      append_image_content(img, c);
      write_file("image", std::string(name) + ".le", c);
      if (scalar_size(img.scalar) > 1) write_file("image", std::string(name) + ".be", big_endian_content(img));
      if (std::string(name) == "synthetic_rgb.nrrd")
        wires.push_back(encode_image(envelope("IMAGE", "Rgb", 2), img));
    }

    // --- transforms: the recording's tracked transforms --------------------
    int nt = 0;
    for (std::size_t f : {std::size_t(0), std::size_t(20)}) {
      for (const auto& t : spine.frames.at(f).transforms) {
        Matrix4f m{};
        for (int i = 0; i < 16; ++i) m[std::size_t(i)] = float(t.matrix[std::size_t(i)]);
        const Bytes w = encode_transform(envelope("TRANSFORM", t.name, nt % 2 ? 2 : 1), m);
        write_file("transform", "spine_" + t.name + "_f" + std::to_string(f), content_of(w));
        if (nt < 2) wires.push_back(w);
        ++nt;
        if (nt >= 6) break;
      }
    }
    {
      const Matrix4f id{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
      write_file("transform", "identity", content_of(encode_transform(envelope("TRANSFORM", "Id", 1), id)));
    }

    // --- statuses ------------------------------------------------------------
    {
      Status ok;
      ok.code = Status::Ok;
      ok.message = "ready";
      Status err;
      err.code = Status::ConfigError;
      err.subcode = -42;
      err.error_name = "BadConfig";
      err.message = "models.detector: no such file";
      Status full;
      full.code = Status::Busy;
      full.subcode = 0x7fffffffffffffffLL;
      full.error_name = std::string(20, 'E');
      full.message = std::string(40, 'm');
      int i = 0;
      for (const auto* s : {&ok, &err, &full}) {
        const Bytes w = encode_status(envelope("STATUS", "Status", std::uint16_t(1 + i % 2)), *s);
        write_file("status", "status_" + std::to_string(i), content_of(w));
        if (i == 1) wires.push_back(w);
        ++i;
      }
      write_file("status", "bare", std::string());
      // No NUL at the end of the status string (some senders).
      Bytes c = content_of(encode_status(envelope("STATUS", "Status", 1), err));
      c.pop_back();
      write_file("status", "no_nul", c);
    }

    // --- strings -------------------------------------------------------------
    {
      Text json;
      json.encoding = 106;
      json.text = R"({"frame":12,"timestamp":1700000000.25,"state":"VISIBLE","failed":false,"e2e_ms":18.4,)"
                  R"("tracks":[{"id":1,"state":"VISIBLE","score":0.91,"box":[100,80,220,190]}]})";
      Text ascii;
      ascii.text = "CMD_0001 StartRecording";
      Text empty;
      Text utf8;
      utf8.encoding = 106;
      utf8.text = "Wirbels\xc3\xa4ule \xe2\x9c\x93";
      Text nul;
      nul.text = std::string("a\0b", 3);
      int i = 0;
      for (const auto* t : {&json, &ascii, &empty, &utf8, &nul}) {
        const Bytes w = encode_string(envelope("STRING", "BoneMaskState", std::uint16_t(1 + i % 2)), *t);
        write_file("string", "string_" + std::to_string(i), content_of(w));
        if (i == 0) wires.push_back(w);
        ++i;
      }
    }

    // --- polydata: a contour like the bridge's, and other cell kinds --------
    {
      PolyData contour;
      for (int k = 0; k < 8; ++k)
        contour.points.push_back({float(10 + (k % 4) * 2), float(20 + (k / 4) * 3), 0.5f});
      contour.lines.push_back({0, 1, 2, 3, 7, 6, 5, 4, 0});
      contour.lines.push_back({1, 2, 6, 5, 1});
      contour.attributes.push_back({"label", true, 1, {1, 2}});
      PolyData mixed;
      for (int k = 0; k < 5; ++k) mixed.points.push_back({float(k), float(k * k), float(-k)});
      mixed.vertices.push_back({0});
      mixed.vertices.push_back({4});
      mixed.polygons.push_back({0, 1, 2});
      mixed.polygons.push_back({1, 2, 3, 4});
      mixed.attributes.push_back({"weight", false, 1, {0.f, 0.25f, 0.5f, 0.75f, 1.f}});
      mixed.attributes.push_back({"normal", false, 3, std::vector<float>(15, 0.5f)});
      PolyData empty;
      PolyData points_only;
      points_only.points = {{1, 2, 3}, {4, 5, 6}};
      int i = 0;
      for (const auto* pd : {&contour, &mixed, &empty, &points_only}) {
        const Bytes w = encode_polydata(envelope("POLYDATA", "BoneContour", std::uint16_t(1 + i % 2)), *pd);
        write_file("polydata", "polydata_" + std::to_string(i), content_of(w));
        if (i == 0) wires.push_back(w);
        ++i;
      }
    }

    // --- whole messages for the header fuzzer ---------------------------------
    for (std::size_t i = 0; i < wires.size(); ++i) write_file("header", "wire_" + std::to_string(i), wires[i]);
    {
      // v2 header with an empty metadata block (count 0) and one with a CRC that does not match
      Envelope e = envelope("STRING", "Empty", 2);
      e.metadata.clear();
      Text t;
      t.text = "x";
      write_file("header", "v2_no_metadata", encode_string(e, t));
      Bytes bad = encode_string(envelope("STRING", "BadCrc", 1), t);
      bad[57] ^= 0x5a;
      write_file("header", "bad_crc", bad);
      // a bare header (GET_ request: no body)
      Bytes get = frame_message(envelope("GET_IMAGE", "", 1), nullptr, 0);
      write_file("header", "get_image", get);
    }

    // --- sequences: first byte 0 = .mha, 1 = .nrrd --------------------------
    auto seq_seed = [&](const fs::path& file, const std::string& name) {
      const std::string bytes = read_text(file);
      const bool nrrd = file.extension() == ".nrrd";
      std::string seed(1, nrrd ? '\x01' : '\x00');
      seed += bytes;
      write_file("sequence", name, seed);
    };
    for (const char* name : {"synthetic_float32_zlib.mha", "synthetic_int16_gz.nrrd", "synthetic_int16_msb.mha",
                             "synthetic_rgb.nrrd", "synthetic_single.mha", "broken_sizes.nrrd", "broken_truncated.mha"})
      seq_seed(data / name, name);
    {  // a 2-frame 16x16 crop of the recording, raw and compressed, written by the project's writer
      io::Sequence small = spine;
      small.frame_dims = {16, 16, 1};
      small.frames.resize(2);
      small.pixels.clear();
      for (std::size_t f = 0; f < 2; ++f) {
        const Image img = crop(spine, f, 16, 16);
        small.pixels.insert(small.pixels.end(), img.pixels.begin(), img.pixels.end());
      }
      const fs::path tmp = fs::temp_directory_path() / "igtb_make_corpus_small.igs.mha";
      for (bool z : {false, true}) {
        io::write_metaimage_sequence(tmp.string(), small, z);
        seq_seed(tmp, z ? "spine_2x16x16_zlib.mha" : "spine_2x16x16_raw.mha");
      }
      fs::remove(tmp);
    }
    {  // the first frames of the NRRD recording: header + 2 cropped frames is not possible
       // without a writer, so take its header with a small hand-written raw body instead.
      std::string nrrd = "NRRD0004\n# Complete NRRD file format specification at:\n"
                         "type: unsigned char\ndimension: 3\nspace: left-posterior-superior\n"
                         "sizes: 4 3 2\nspace directions: (0.5,0,0) (0,0.5,0) none\n"
                         "kinds: domain domain list\nencoding: raw\nspace origin: (1,2,3)\n"
                         "Seq_Frame0000_Timestamp:=0.5\nSeq_Frame0000_ImageStatus:=OK\n"
                         "Seq_Frame0000_ProbeToTrackerTransform:=1 0 0 1 0 1 0 2 0 0 1 3 0 0 0 1\n"
                         "Seq_Frame0000_ProbeToTrackerTransformStatus:=OK\n"
                         "Seq_Frame0001_Timestamp:=0.75\nSeq_Frame0001_ImageStatus:=OK\n"
                         "Seq_Frame0001_ProbeToTrackerTransform:=1 0 0 1 0 1 0 2 0 0 1 3 0 0 0 1\n"
                         "Seq_Frame0001_ProbeToTrackerTransformStatus:=INVALID\n\n";
      for (int i = 0; i < 24; ++i) nrrd.push_back(char(i * 10));
      write_file("sequence", "hand_raw.nrrd", std::string(1, '\x01') + nrrd);
    }

    // --- config ----------------------------------------------------------------
    const std::string yaml = read_text(root / "config" / "igtbridge.yaml");
    write_file("config", "igtbridge.yaml", yaml);
    write_file("config", "empty.yaml", std::string());
    write_file("config", "relay.yaml", std::string("pipeline:\n  enabled: false\noutput:\n  port: 18950\n  header_version: 1\n"));
    write_file("config", "listen.yaml",
               std::string("input:\n  mode: listen\n  bind: 0.0.0.0\n  port: 18944\n  allow: [10.0.0.0/8, 192.168.1.20]\n"
                           "  image_devices: [Image_Reference]\n  max_message_bytes: 1048576\n"
                           "output:\n  allow:\n    - 127.0.0.1\n  max_clients: 2\n  queue_messages: 4\n"));
    write_file("config", "models.yaml",
               std::string("models:\n  device: cuda:0\n  precision: fp16\n  detector: /opt/m/dfine.pt\n"
                           "  detector_input: 640\n  segmenter_input: 1024\ndetect: {top_k: 5, score_threshold: 0.3}\n"
                           "match: {gate: 0.8, focal_gamma: 2}\nvisibility: {theta_on: 0.7, theta_off: 0.3, lost_after_frames: 3}\n"
                           "kpi: {path: out/kpi.jsonl}\nlog: {level: debug, summary_interval_s: 1.5}\n"));
    write_file("config", "unknown_key.yaml", std::string("output:\n  prot: 18945\n"));
    write_file("config", "bad_type.yaml", std::string("output:\n  port: [1, 2]\ninput:\n  check_crc: maybe\n"));
    write_file("config", "anchors.yaml",
               std::string("common: &c {check_crc: false}\ninput:\n  <<: *c\noutput:\n  <<: *c\n"));
    write_file("config", "multi_doc.yaml", std::string("---\noutput: {port: 1}\n---\noutput: {port: 2}\n"));
    write_file("config", "tags.yaml", std::string("output:\n  port: !!str 18945\n  bind: !!binary aGVsbG8=\n"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_corpus: %s\n", e.what());
    return 1;
  }
  std::printf("make_corpus: %d files under %s\n", g_files, g_out.c_str());
  return 0;
}
