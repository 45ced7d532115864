#include "core/image.hpp"

namespace igtb {

std::size_t ImageInfo::pixel_bytes() const {
  return std::size_t(subvolume_size[0]) * subvolume_size[1] * subvolume_size[2] * components *
         scalar_size(scalar);
}

}  // namespace igtb
