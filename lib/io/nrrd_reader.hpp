// NRRD (.nrrd, attached data) sequences as PLUS writes them, and single
// images as write_nrrd() writes them.
#pragma once

#include <string>

#include "io/sequence.hpp"

namespace igtb::io {

/// Reads a NRRD file with raw or gzip data. A leading vector-like axis
/// (kinds vector, RGB-color, 3-color, ...) gives the components; a trailing
/// `list` axis (or, without kinds, one whose space direction is `none`)
/// counts frames; the 1 to 3 axes between are the frame's i, j, k. Spacing and
/// direction come from `space directions` (normalised) or `spacings`. Throws
/// SequenceError.
Sequence read_nrrd(const std::string& path);

}  // namespace igtb::io
