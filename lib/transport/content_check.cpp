#include "transport/content_check.hpp"

#include <exception>

#include "transport/image_codec.hpp"
#include "transport/polydata_codec.hpp"
#include "transport/status_codec.hpp"
#include "transport/string_codec.hpp"
#include "transport/transform_codec.hpp"

namespace igtb {

std::string content_problem(const Message& m) {
  try {
    const std::string& t = m.type();
    if (t == "IMAGE")
      decode_image_layout(m.content(), m.content_size);
    else if (t == "TRANSFORM")
      decode_transform(m);
    else if (t == "STATUS")
      decode_status(m);
    else if (t == "STRING")
      decode_string(m);
    else if (t == "POLYDATA")
      decode_polydata(m);
    else if (t.rfind("GET_", 0) == 0 && m.content_size != 0)
      return t + " '" + m.device() + "': a query with a content of " + std::to_string(m.content_size) + " bytes";
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace igtb
