// MetaImage (.mha, header and data in one file) sequences as PLUS writes them.
#pragma once

#include <string>

#include "io/sequence.hpp"

namespace igtb::io {

/// Reads a MetaImage file with ElementDataFile = LOCAL. NDims = 2 is one
/// frame; NDims = 3 is a stack of 2D frames (the 3rd size counts frames);
/// NDims = 4 a stack of 3D frames. Geometry (ElementSpacing, Offset,
/// TransformMatrix) is taken for the first min(NDims, 3) axes; each group of
/// NDims TransformMatrix numbers is the direction of one axis. Throws
/// SequenceError.
Sequence read_metaimage(const std::string& path);

}  // namespace igtb::io
