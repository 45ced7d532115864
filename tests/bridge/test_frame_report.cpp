#include "bridge/frame_report.hpp"

#include "pipeline/visibility.hpp"

#undef CHECK
#include <catch2/catch.hpp>

using namespace igtb;

TEST_CASE("a frame report is one JSON line: state from the tracks, error and unsegmented only when they apply") {
  FrameReport r;
  r.frame = 12;
  r.device = "Image_\"Ref\"";
  r.timestamp = 215.1021864;
  r.e2e_ms = 23.4149;
  r.stages_ms = {{"decode", 0.3}, {"upload", 0.05}};
  r.dropped = 3;
  TrackResult t;
  t.id = 2;
  t.state = std::uint8_t(TrackState::Relocalizing);
  t.score = 0.5f;
  t.box[2] = 10;
  t.box[3] = 20;
  r.tracks = {t};
  const std::string plain = frame_json(r);
  CHECK(plain.rfind("{\"frame\": 12, \"device\": \"Image_\\\"Ref\\\"\", \"timestamp\": 215.102186, "
                    "\"state\": \"RELOCALIZING\", \"failed\": false, \"e2e_ms\": 23.415, "
                    "\"stages_ms\": {\"decode\": 0.300, \"upload\": 0.050}, \"dropped\": 3, \"tracks\": [",
                    0) == 0);
  CHECK(plain.find("unsegmented") == std::string::npos);
  CHECK(plain.find("error") == std::string::npos);

  r.unsegmented = 2;
  CHECK(frame_json(r).find(", \"unsegmented\": 2, \"e2e_ms\"") != std::string::npos);
  r.failed = true;
  r.error = "model said no";
  CHECK(overall_state(r) == "FAILED");
  CHECK(frame_json(r).find("\"failed\": true, \"error\": \"model said no\", \"unsegmented\": 2") != std::string::npos);
  r = FrameReport{};
  CHECK(overall_state(r) == "NONE");
  t.state = std::uint8_t(TrackState::Lost);
  r.tracks = {t};
  CHECK(overall_state(r) == "LOST");
}
