// POLYDATA content <-> PolyData, through igtl::PolyDataMessage.
#pragma once

#include "core/polydata.hpp"
#include "transport/message.hpp"

namespace igtb {

PolyData decode_polydata(const Message& msg);
Bytes encode_polydata(const Envelope& env, const PolyData& pd);

}  // namespace igtb
