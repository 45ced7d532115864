#include "transport/polydata_codec.hpp"

#include <igtl_polydata.h>
#include <igtl_header.h>

#include <algorithm>
#include <cstring>

namespace igtb {
namespace {

using Cells = std::vector<std::vector<std::uint32_t>>;

// Cells as the C layer stores them: (N, i1..iN) repeated.
std::vector<igtl_uint32> flatten(const Cells& cells, std::size_t points, const char* what, igtl_uint32& count,
                                 igtl_uint32& bytes) {
  std::vector<igtl_uint32> flat;
  for (const auto& c : cells) {
    flat.push_back(static_cast<igtl_uint32>(c.size()));
    for (auto id : c) {
      if (id >= points)
        throw ProtocolError(std::string("POLYDATA ") + what + " cell refers to point " + std::to_string(id) + " of " +
                            std::to_string(points));
      flat.push_back(id);
    }
  }
  count = static_cast<igtl_uint32>(cells.size());
  bytes = static_cast<igtl_uint32>(flat.size() * sizeof(igtl_uint32));
  return flat;
}

// A C-layer cell array: (N, i1..iN) repeated, `size` bytes in all.
Cells cells_from(const igtl_uint32* data, std::size_t count, std::size_t size, std::size_t points, const char* what,
                 const std::string& device) {
  Cells cells;
  const std::size_t words = size / 4;
  std::size_t at = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!data || at >= words) throw ProtocolError("POLYDATA '" + device + "': " + what + " cells run past their data");
    const std::size_t n = data[at++];
    if (n > words - at) throw ProtocolError("POLYDATA '" + device + "': " + what + " cell " + std::to_string(i) + " runs past its data");
    std::vector<std::uint32_t> cell(data + at, data + at + n);
    at += n;
    for (auto id : cell)
      if (id >= points)
        throw ProtocolError("POLYDATA '" + device + "': " + what + " cell " + std::to_string(i) + " refers to point " +
                            std::to_string(id) + " of " + std::to_string(points));
    cells.push_back(std::move(cell));
  }
  return cells;
}

std::uint32_t components_of(int type, std::uint32_t scalar_components) {
  switch (type) {
    case IGTL_POLY_ATTR_TYPE_SCALAR: return scalar_components;
    case IGTL_POLY_ATTR_TYPE_VECTOR:
    case IGTL_POLY_ATTR_TYPE_NORMAL: return 3;
    case IGTL_POLY_ATTR_TYPE_TENSOR: return 9;
    case IGTL_POLY_ATTR_TYPE_RGBA: return 4;
  }
  return 0;
}

// OpenIGTLink 1.11's igtl_polydata_unpack trusts every count and size in the
// content: it reads points, cells, attribute names (strlen) and attribute data
// wherever they say, past the end of the buffer if need be. So the whole
// layout is checked here first, the way unpack will walk it. Returns, per
// attribute, the floats per tuple that unpack will read (type 0x00: its
// ncomponents; vector, normal: 3; every other type: 9).
std::vector<std::uint32_t> check_layout(const std::uint8_t* c, std::size_t size, const std::string& device) {
  auto fail = [&](const std::string& what) {
    return ProtocolError("POLYDATA '" + device + "': " + what + " (content of " + std::to_string(size) + " bytes)");
  };
  std::uint32_t h[10];
  for (int i = 0; i < 10; ++i) h[i] = get_be32(c + 4 * i);
  const std::uint64_t npoints = h[0], nattributes = h[9];
  std::uint64_t at = sizeof(igtl_polydata_header) + npoints * 12;
  if (at > size) throw fail(std::to_string(npoints) + " points run past the end");
  for (int i = 2; i <= 8; i += 2) {  // size_vertices, size_lines, size_polygons, size_triangle_strips
    if (h[i] % 4 != 0) throw fail("cell data size " + std::to_string(h[i]) + " is not a multiple of 4");
    at += h[i];
  }
  if (at > size) throw fail("cell data runs past the end");
  if (nattributes > (size - at) / sizeof(igtl_polydata_attribute_header))
    throw fail(std::to_string(nattributes) + " attribute headers run past the end");
  const std::uint8_t* att = c + at;
  at += nattributes * sizeof(igtl_polydata_attribute_header);
  std::uint64_t names = 0;
  for (std::uint64_t i = 0; i < nattributes; ++i) {
    const void* nul = std::memchr(c + at, 0, size - at);
    if (!nul) throw fail("attribute name " + std::to_string(i) + " runs past the end");
    const std::uint64_t len = static_cast<const std::uint8_t*>(nul) - (c + at);
    if (len > IGTL_POLY_MAX_ATTR_NAME_LEN) throw fail("attribute name " + std::to_string(i) + " is longer than 255");
    at += len + 1;
    names += len + 1;
  }
  if (names % 2) ++at;  // padding
  std::vector<std::uint32_t> per_tuple(nattributes);
  for (std::uint64_t i = 0; i < nattributes; ++i) {
    const std::uint8_t* a = att + 6 * i;  // type, ncomponents, n (big-endian)
    per_tuple[i] = a[0] == IGTL_POLY_ATTR_TYPE_SCALAR ? a[1]
                 : (a[0] == IGTL_POLY_ATTR_TYPE_VECTOR || a[0] == IGTL_POLY_ATTR_TYPE_NORMAL) ? 3 : 9;
    at += std::uint64_t(per_tuple[i]) * get_be32(a + 2) * 4;
    if (at > size) throw fail("attribute " + std::to_string(i) + " data runs past the end");
  }
  return per_tuple;
}

}  // namespace

PolyData decode_polydata(const Message& msg) {
  // The C layer of 1.11 (igtl_polydata_*) reads and writes POLYDATA here; its
  // C++ classes over-read attribute buffers (see encode_polydata).
  if (msg.content_size < sizeof(igtl_polydata_header))
    throw ProtocolError("POLYDATA '" + msg.device() + "': content of " + std::to_string(msg.content_size) +
                        " bytes is shorter than its 40-byte header");
  Bytes content(msg.content(), msg.content() + msg.content_size);  // unpack swaps in place
  igtl_polydata_info info;
  igtl_polydata_init_info(&info);
  struct Free {
    igtl_polydata_info* p;
    ~Free() { igtl_polydata_free_info(p); }
  } free_info{&info};
  igtl_polydata_header head;
  std::memcpy(&head, content.data(), sizeof head);
  if (std::all_of(reinterpret_cast<const std::uint8_t*>(&head), reinterpret_cast<const std::uint8_t*>(&head + 1),
                  [](std::uint8_t b) { return b == 0; }))
    return PolyData{};  // 1.11's unpack fails on an empty data set (malloc(0)); it is valid
  const std::vector<std::uint32_t> per_tuple = check_layout(content.data(), content.size(), msg.device());
  if (igtl_polydata_unpack(IGTL_TYPE_PREFIX_NONE, content.data(), &info, content.size()) != 1)
    throw ProtocolError("POLYDATA '" + msg.device() + "': OpenIGTLink could not unpack a " +
                        std::to_string(content.size()) + "-byte content");
  const auto& h = info.header;
  PolyData pd;
  pd.points.resize(h.npoints);
  for (std::size_t i = 0; i < h.npoints; ++i)
    for (int k = 0; k < 3; ++k) pd.points[i][std::size_t(k)] = info.points[3 * i + std::size_t(k)];
  const std::string dev = msg.device();
  pd.vertices = cells_from(info.vertices, h.nvertices, h.size_vertices, h.npoints, "vertex", dev);
  pd.lines = cells_from(info.lines, h.nlines, h.size_lines, h.npoints, "line", dev);
  pd.polygons = cells_from(info.polygons, h.npolygons, h.size_polygons, h.npoints, "polygon", dev);
  const std::size_t cells = pd.cell_count() + h.ntriangle_strips;
  for (std::size_t i = 0; i < h.nattributes; ++i) {
    const igtl_polydata_attribute& a = info.attributes[i];
    PolyData::Attribute out;
    out.name = a.name ? a.name : "";
    out.per_cell = (a.type & 0x10) != 0;
    out.components = components_of(a.type & 0x0f, a.ncomponents);
    const std::size_t tuples = a.n;
    if (out.components > per_tuple[i])
      throw ProtocolError("POLYDATA '" + dev + "': attribute '" + out.name + "' has " +
                          std::to_string(out.components) + " components, " + std::to_string(per_tuple[i]) +
                          " floats a tuple on the wire");
    if (out.components == 0 || tuples != (out.per_cell ? cells : h.npoints))
      throw ProtocolError("POLYDATA '" + dev + "': attribute '" + out.name + "' has " + std::to_string(tuples) +
                          " tuples of " + std::to_string(out.components) + " for " +
                          std::to_string(out.per_cell ? cells : std::size_t(h.npoints)) +
                          (out.per_cell ? " cells" : " points"));
    out.values.assign(a.data, a.data + tuples * out.components);
    pd.attributes.push_back(std::move(out));
  }
  return pd;
}

Bytes encode_polydata(const Envelope& env, const PolyData& pd) {
  const std::size_t np = pd.points.size();
  igtl_polydata_info info;
  std::memset(&info, 0, sizeof info);
  std::vector<float> points(np * 3);
  for (std::size_t i = 0; i < np; ++i)
    for (int k = 0; k < 3; ++k) points[3 * i + std::size_t(k)] = pd.points[i][std::size_t(k)];
  auto& h = info.header;
  h.npoints = static_cast<igtl_uint32>(np);
  info.points = points.data();
  auto vertices = flatten(pd.vertices, np, "vertex", h.nvertices, h.size_vertices);
  auto lines = flatten(pd.lines, np, "line", h.nlines, h.size_lines);
  auto polygons = flatten(pd.polygons, np, "polygon", h.npolygons, h.size_polygons);
  info.vertices = vertices.empty() ? nullptr : vertices.data();
  info.lines = lines.empty() ? nullptr : lines.data();
  info.polygons = polygons.empty() ? nullptr : polygons.data();

  // Attribute layout as the OpenIGTLink library (1.11 and current, hence
  // Slicer) packs and unpacks it: only type 0x00 (point scalar) honours
  // ncomponents; every other type but vectors/normals travels as 9 floats per
  // tuple. So a per-cell scalar goes out as 9 floats a cell, its components
  // first, the rest zero; readers that use the library read it back intact.
  std::vector<igtl_polydata_attribute> atts(pd.attributes.size());
  std::vector<std::vector<float>> data(pd.attributes.size());
  std::vector<std::string> names(pd.attributes.size());
  for (std::size_t i = 0; i < pd.attributes.size(); ++i) {
    const auto& a = pd.attributes[i];
    const std::size_t tuples = a.per_cell ? pd.cell_count() : np;
    if (a.components == 0 || a.values.size() != tuples * a.components)
      throw ProtocolError("POLYDATA attribute '" + a.name + "' has " + std::to_string(a.values.size()) +
                          " values for " + std::to_string(tuples) + " tuples of " + std::to_string(a.components));
    if (a.name.empty() || a.name.size() > IGTL_POLY_MAX_ATTR_NAME_LEN)
      throw ProtocolError("POLYDATA attribute name '" + a.name + "' is empty or longer than 255");
    const std::uint32_t stride = a.per_cell ? 9 : a.components;
    if (a.components > (a.per_cell ? 9u : 127u))
      throw ProtocolError("POLYDATA attribute '" + a.name + "' has too many components (" +
                          std::to_string(a.components) + ")");
    data[i].assign(tuples * stride, 0.0f);
    for (std::size_t t = 0; t < tuples; ++t)
      for (std::uint32_t c = 0; c < a.components; ++c) data[i][t * stride + c] = a.values[t * a.components + c];
    names[i] = a.name;
    atts[i].type = a.per_cell ? 0x10 : IGTL_POLY_ATTR_TYPE_SCALAR;
    atts[i].ncomponents = static_cast<igtl_uint8>(stride);
    atts[i].n = static_cast<igtl_uint32>(tuples);
    atts[i].name = names[i].data();
    atts[i].data = data[i].data();
  }
  h.nattributes = static_cast<igtl_uint32>(atts.size());
  info.attributes = atts.empty() ? nullptr : atts.data();

  const auto size = igtl_polydata_get_size(&info, IGTL_TYPE_PREFIX_NONE);
  MessageBuilder b(env, size);
  Bytes& out = b.content();
  const std::size_t at = out.size();
  out.resize(at + size);
  if (igtl_polydata_pack(&info, out.data() + at, IGTL_TYPE_PREFIX_NONE) != 1)
    throw ProtocolError("POLYDATA '" + env.device + "': OpenIGTLink could not pack it");
  return std::move(b).finish();
}

}  // namespace igtb
