// TRANSFORM content <-> a 4x4 float matrix, through igtl::TransformMessage.
#pragma once

#include <array>

#include "transport/message.hpp"

namespace igtb {

/// Row-major 4x4; the last row is (0, 0, 0, 1) on the wire.
using Matrix4f = std::array<float, 16>;

Matrix4f decode_transform(const Message& msg);
Bytes encode_transform(const Envelope& env, const Matrix4f& m);

}  // namespace igtb
