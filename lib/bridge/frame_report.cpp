#include "bridge/frame_report.hpp"

#include <cmath>
#include <cstdio>

#include "core/track_params.hpp"

namespace igtb {
std::string json_number(double v, int decimals) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string overall_state(const FrameReport& r) {
  if (r.failed) return "FAILED";
  if (!r.class_voxels.empty()) {  // a label volume: VISIBLE where any voxel is labelled
    for (std::size_t c = 1; c < r.class_voxels.size(); ++c)
      if (r.class_voxels[c] > 0) return "VISIBLE";
    return "NONE";
  }
  bool visible = false, relocalizing = false;
  for (const auto& t : r.tracks) {
    visible |= t.state == std::uint8_t(TrackState::Visible);
    relocalizing |= t.state == std::uint8_t(TrackState::Relocalizing);
  }
  if (visible) return "VISIBLE";
  if (relocalizing) return "RELOCALIZING";
  return r.tracks.empty() ? "NONE" : "LOST";
}

std::string frame_json(const FrameReport& r) {
  std::string j = "{\"frame\": " + std::to_string(r.frame) + ", \"device\": " + json_string(r.device) +
                  ", \"timestamp\": " + json_number(r.timestamp, 6) + ", \"state\": \"" + overall_state(r) +
                  "\", \"failed\": " + (r.failed ? "true" : "false");
  if (r.failed) j += ", \"error\": " + json_string(r.error);
  if (r.unsegmented > 0) j += ", \"unsegmented\": " + std::to_string(r.unsegmented);
  j += ", \"e2e_ms\": " + json_number(r.e2e_ms, 3) + ", \"stages_ms\": {";
  for (std::size_t i = 0; i < r.stages_ms.size(); ++i)
    j += (i ? ", " : "") + json_string(r.stages_ms[i].first) + ": " + json_number(r.stages_ms[i].second, 3);
  j += "}, \"dropped\": " + std::to_string(r.dropped);
  if (!r.class_voxels.empty()) {
    j += ", \"voxels\": {";
    for (std::size_t c = 1; c < r.class_voxels.size(); ++c)
      j += (c > 1 ? ", \"" : "\"") + std::to_string(c) + "\": " + std::to_string(r.class_voxels[c]);
    j += "}";
  }
  j += ", \"tracks\": [";
  for (std::size_t i = 0; i < r.tracks.size(); ++i) {
    const auto& t = r.tracks[i];
    j += std::string(i ? ", " : "") + "{\"id\": " + std::to_string(t.id) + ", \"state\": \"" +
         std::string(track_state_name(TrackState(t.state))) + "\", \"score\": " + json_number(t.score, 4) + ", \"box\": [" +
         json_number(t.box[0], 3) + ", " + json_number(t.box[1], 3) + ", " + json_number(t.box[2], 3) + ", " + json_number(t.box[3], 3) +
         "]";
    if (t.label != 0) {
      j += ", \"class\": " + std::to_string(t.label);
      if (r.class_names && t.label <= r.class_names->size())
        j += ", \"class_name\": " + json_string((*r.class_names)[t.label - 1]);
    }
    j += "}";
  }
  return j + "]}";
}

}  // namespace igtb
