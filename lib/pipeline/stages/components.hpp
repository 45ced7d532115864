// The segment shape's objects: connected regions of one class in the class
// map, on the host, after the frame's one device-to-host copy (as the
// contours are). An object is what the tracker follows from frame to frame.
#pragma once

#include <cstdint>
#include <vector>

namespace igtb {

/// One connected region of one class (8-connected).
struct Component {
  std::uint8_t label = 0;        ///< its class value (1..255)
  std::int32_t x0 = 0, y0 = 0;   ///< its pixels' bounding box, inclusive
  std::int32_t x1 = 0, y1 = 0;
  std::int64_t area = 0;         ///< pixels
  double score = 0;              ///< mean foreground probability of its pixels, 0..1
};

struct ComponentMap {
  /// The objects, largest first (ties: the one met first in row order);
  /// at most max_objects, each of at least min_area pixels.
  std::vector<Component> components;
  /// Per pixel (row-major): the index of its object in `components`, -1 for
  /// background and for regions that are no object (too small, or beyond
  /// max_objects).
  std::vector<std::int32_t> index;
};

/// The 8-connected regions of equal non-zero value in `classes`
/// [height * width]; `foreground` (the same size, 0..255 probability) gives
/// their scores, or null for score 1.
ComponentMap connected_components(const std::uint8_t* classes, const std::uint8_t* foreground, std::int32_t width,
                                  std::int32_t height, std::int64_t min_area, std::size_t max_objects);

}  // namespace igtb
