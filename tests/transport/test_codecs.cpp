#include "../support/catch.hpp"
#include <igtlImageMessage.h>

#include <cstring>

#include "transport/image_codec.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/status_codec.hpp"
#include "transport/string_codec.hpp"
#include "transport/transform_codec.hpp"

using namespace igtb;

namespace {

Message roundtrip(const Bytes& wire) { return decode_message(std::make_shared<Bytes>(wire), true); }

Bytes text_wire() { return encode_string(Envelope{"STRING", "x"}, Text{3, "not an image"}); }

Image make_image(ScalarType t, std::uint8_t comps, std::array<std::uint16_t, 3> dims) {
  Image img;
  img.dims = dims;
  img.subvolume_size = dims;
  img.components = comps;
  img.scalar = t;
  img.matrix = {0.1f, 0.2f, 0.3f, -0.4f, 0.5f, 0.6f, 0.7f, 0.8f, -0.9f, 12.25f, -3.5f, 1e-7f};
  img.pixels.resize(img.pixel_bytes());
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * 131 + 7);
  return img;
}

}  // namespace

TEST_CASE("IMAGE round trip for every scalar type, 1/3/4 components, 2D and 3D, v1 and v3 headers") {
  const ScalarType types[] = {ScalarType::Int8,   ScalarType::UInt8,  ScalarType::Int16,   ScalarType::UInt16,
                              ScalarType::Int32,  ScalarType::UInt32, ScalarType::Float32, ScalarType::Float64};
  for (auto t : types)
    for (std::uint8_t comps : {1, 3, 4})
      for (auto dims : {std::array<std::uint16_t, 3>{7, 5, 1}, std::array<std::uint16_t, 3>{4, 3, 2}})
        for (std::uint16_t v : {1, 2}) {
          INFO(scalar_name(t) << " x" << int(comps) << " " << dims[0] << "x" << dims[1] << "x" << dims[2] << " v" << v);
          const Image in = make_image(t, comps, dims);
          const Message m = roundtrip(encode_image(Envelope{"IMAGE", "Image_Reference", 99, v}, in));
          const Image out = decode_image(m);
          CHECK(out.scalar == t);
          CHECK(out.components == comps);
          CHECK(out.dims == dims);
          CHECK(out.subvolume_size == dims);
          CHECK(out.matrix == in.matrix);  // bit-exact floats
          CHECK(out.pixels == in.pixels);
          CHECK(m.header.timestamp == 99);
        }
}

TEST_CASE("IMAGE written by OpenIGTLink 1.11 itself (big-endian label) decodes to host order") {
  auto msg = igtl::ImageMessage::New();
  int size[3] = {3, 2, 1};
  msg->SetDimensions(size);
  msg->SetScalarType(igtl::ImageMessage::TYPE_INT16);
  msg->SetEndian(igtl::ImageMessage::ENDIAN_BIG);
  msg->SetDeviceName("Image_Reference");
  msg->AllocateScalars();
  // big-endian pixels 0x0102, 0x0304, ...
  auto* p = static_cast<std::uint8_t*>(msg->GetScalarPointer());
  for (int i = 0; i < 6; ++i) {
    p[2 * i] = static_cast<std::uint8_t>(2 * i + 1);
    p[2 * i + 1] = static_cast<std::uint8_t>(2 * i + 2);
  }
  float spacing[3] = {0.5f, 0.25f, 2.0f};
  msg->SetSpacing(spacing);
  msg->Pack();
  Bytes wire(static_cast<std::uint8_t*>(msg->GetPackPointer()),
             static_cast<std::uint8_t*>(msg->GetPackPointer()) + msg->GetPackSize());
  const Image img = decode_image(roundtrip(wire));
  REQUIRE(img.scalar == ScalarType::Int16);
  std::int16_t first;
  std::memcpy(&first, img.pixels.data(), 2);
  CHECK(first == 0x0102);
  std::int16_t last;
  std::memcpy(&last, img.pixels.data() + 10, 2);
  CHECK(last == 0x0b0c);
  const auto s = image_spacing(img);
  CHECK(s[0] == Approx(0.5));
  CHECK(s[1] == Approx(0.25));
  CHECK(s[2] == Approx(2.0));
}

TEST_CASE("an IMAGE view points into the message where the pixels are in host order, else into a swapped copy") {
  const Image u8 = make_image(ScalarType::UInt8, 3, {7, 5, 1});
  for (std::uint16_t v : {1, 2}) {
    const Message m = roundtrip(encode_image(Envelope{"IMAGE", "Image_Reference", 0, v}, u8));
    Image swapped;
    const ImageView view = view_image(m, swapped);
    CHECK(view.pixels >= m.content());  // no copy: inside the message
    CHECK(view.pixels + view.pixel_bytes() == m.content() + m.content_size);
    CHECK(std::equal(u8.pixels.begin(), u8.pixels.end(), view.pixels));
    CHECK(swapped.pixels.empty());
    CHECK(view.dims == u8.dims);
    CHECK(view.matrix == u8.matrix);
    // Written back from the view: the same message as from the image.
    CHECK(encode_image(Envelope{"IMAGE", "x", 0, v}, view) == encode_image(Envelope{"IMAGE", "x", 0, v}, u8));
  }
  const Image i16 = make_image(ScalarType::Int16, 1, {3, 2, 1});  // written in host order
  const Message host = roundtrip(encode_image(Envelope{"IMAGE", "Image_Reference"}, i16));
  Image swapped;
  CHECK(view_image(host, swapped).pixels == host.content() + kImageHeaderSize);
  CHECK(swapped.pixels.empty());

  auto msg = igtl::ImageMessage::New();  // the other byte order
  int size[3] = {3, 2, 1};
  msg->SetDimensions(size);
  msg->SetScalarType(igtl::ImageMessage::TYPE_INT16);
  const std::uint16_t one = 1;
  std::uint8_t low_first;
  std::memcpy(&low_first, &one, 1);
  msg->SetEndian(low_first ? igtl::ImageMessage::ENDIAN_BIG : igtl::ImageMessage::ENDIAN_LITTLE);
  msg->SetDeviceName("Image_Reference");
  msg->AllocateScalars();
  auto* p = static_cast<std::uint8_t*>(msg->GetScalarPointer());
  for (int i = 0; i < 12; ++i) p[i] = std::uint8_t(i + 1);
  msg->Pack();
  const Message other = roundtrip(Bytes(static_cast<std::uint8_t*>(msg->GetPackPointer()),
                                        static_cast<std::uint8_t*>(msg->GetPackPointer()) + msg->GetPackSize()));
  const ImageView view = view_image(other, swapped);
  CHECK(view.pixels == swapped.pixels.data());
  CHECK(swapped.pixels == decode_image(other).pixels);
  CHECK(swapped.pixels[0] == 2);  // swapped
  CHECK(swapped.pixels[1] == 1);
  CHECK_THROWS_WITH(view_image(roundtrip(text_wire()), swapped), Catch::Contains("expected IMAGE"));
}

TEST_CASE("IMAGE whose dims do not match its body is rejected with the numbers") {
  Image img = make_image(ScalarType::UInt8, 1, {4, 4, 1});
  Bytes content;
  append_image_content(img, content);
  content.pop_back();
  CHECK_THROWS_WITH(decode_image(content.data(), content.size()), Catch::Contains("needs 16 pixel bytes") && Catch::Contains("has 15"));
  CHECK_THROWS_WITH(decode_image(content.data(), 10), Catch::Contains("shorter than its 72-byte header"));
  content[3] = 9;  // scalar type 9 is not defined
  CHECK_THROWS_WITH(decode_image(content.data(), content.size()), Catch::Contains("scalar type 9"));
}

TEST_CASE("empty IMAGE (zero-length content) is an error, not a hang or crash") {
  CHECK_THROWS_AS(decode_image(nullptr, 0), ProtocolError);
}

TEST_CASE("TRANSFORM round trip is exact") {
  const Matrix4f in = {0.231245f, 0.951424f, -0.203269f, 172.641f, -0.127436f, -0.17751f, -0.975833f, -98.0022f,
                       -0.964513f, 0.25156f, 0.0801977f, -22.0262f, 0, 0, 0, 1};
  for (std::uint16_t v : {1, 2}) {
    const Message m = roundtrip(encode_transform(Envelope{"TRANSFORM", "ProbeToTracker", 5, v}, in));
    CHECK(m.content_size == 48);
    CHECK(decode_transform(m) == in);
  }
}

TEST_CASE("STATUS round trip, and a bare STATUS with no content") {
  Status s;
  s.code = Status::Busy;
  s.subcode = -12345678901LL;
  s.error_name = "TooBusy";
  s.message = "pipeline busy";
  const Status r = decode_status(roundtrip(encode_status(Envelope{"STATUS", "igtbridge", 0, 2, 1, {{"a", "b"}}}, s)));
  CHECK(r.code == Status::Busy);
  CHECK(r.subcode == s.subcode);
  CHECK(r.error_name == "TooBusy");
  CHECK(r.message == "pipeline busy");
  const std::uint8_t* none = nullptr;
  const Status bare = decode_status(roundtrip(frame_message(Envelope{"STATUS", "x"}, none, 0)));
  CHECK(bare.code == Status::Unknown);
}

TEST_CASE("STRING round trip, and a length field that lies is rejected") {
  Text t{106, "{\"frame\": 1}"};
  const Message m = roundtrip(encode_string(Envelope{"STRING", "BoneMaskState", 0, 2}, t));
  const Text r = decode_string(m);
  CHECK(r.encoding == 106);
  CHECK(r.text == t.text);
  Bytes wire = encode_string(Envelope{"STRING", "s"}, t);
  wire[kHeaderSize + 3] = 99;  // length field
  CHECK_THROWS_WITH(decode_string(decode_message(std::make_shared<Bytes>(wire), false)), Catch::Contains("length field 99"));
}

TEST_CASE("POLYDATA round trip: closed polylines with a per-cell label") {
  PolyData pd;
  pd.points = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {5, 5, 5}, {6, 5, 5}, {6, 6, 5}};
  pd.lines = {{0, 1, 2, 0}, {3, 4, 5, 3}};
  pd.attributes.push_back({"label", true, 1, {1.0f, 2.0f}});
  const PolyData r = decode_polydata(roundtrip(encode_polydata(Envelope{"POLYDATA", "BoneContour", 0, 2}, pd)));
  CHECK(r.points == pd.points);
  CHECK(r.lines == pd.lines);
  CHECK(r.polygons.empty());
  REQUIRE(r.attributes.size() == 1);
  CHECK(r.attributes[0].name == "label");
  CHECK(r.attributes[0].per_cell);
  // The OpenIGTLink library (Slicer's too) moves every non-point-scalar
  // attribute as 9 floats a tuple: the label is component 0, the rest zero.
  REQUIRE(r.attributes[0].components == 9);
  REQUIRE(r.attributes[0].values.size() == 18);
  CHECK(r.attributes[0].values[0] == 1.0f);
  CHECK(r.attributes[0].values[9] == 2.0f);
  CHECK(r.attributes[0].values[1] == 0.0f);
}

TEST_CASE("POLYDATA point scalars keep their component count exactly") {
  PolyData pd;
  pd.points = {{0, 0, 0}, {1, 2, 3}};
  pd.vertices = {{0}, {1}};
  pd.attributes.push_back({"label", false, 1, {3.0f, 4.0f}});
  pd.attributes.push_back({"rgb", false, 3, {1, 2, 3, 4, 5, 6}});
  const PolyData r = decode_polydata(roundtrip(encode_polydata(Envelope{"POLYDATA", "p"}, pd)));
  REQUIRE(r.attributes.size() == 2);
  CHECK(r.attributes[0].components == 1);
  CHECK(r.attributes[0].values == pd.attributes[0].values);
  CHECK(r.attributes[1].components == 3);
  CHECK(r.attributes[1].values == pd.attributes[1].values);
  CHECK(r.vertices == pd.vertices);
}

TEST_CASE("empty POLYDATA encodes and decodes (so Slicer can clear)") {
  const PolyData r = decode_polydata(roundtrip(encode_polydata(Envelope{"POLYDATA", "BoneContour"}, PolyData{})));
  CHECK(r.points.empty());
  CHECK(r.cell_count() == 0);
}

TEST_CASE("POLYDATA cell pointing past the points is rejected on encode") {
  PolyData pd;
  pd.points = {{0, 0, 0}};
  pd.lines = {{0, 3}};
  CHECK_THROWS_WITH(encode_polydata(Envelope{"POLYDATA", "x"}, pd), Catch::Contains("point 3 of 1"));
}
