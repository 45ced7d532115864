#include "bridge/frame_report.hpp"
#include "bridge/inference_bridge.hpp"
#include "bridge/monitor.hpp"

#include "core/track_params.hpp"

#include "../support/catch.hpp"

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

TEST_CASE("the segment shape's state: each track's class and name; a volume's voxels per class") {
  FrameReport r;
  r.frame = 3;
  TrackResult t;
  t.id = 4;
  t.state = std::uint8_t(TrackState::Visible);
  t.label = 2;
  r.tracks = {t};
  CHECK(frame_json(r).find("\"box\": [0.000, 0.000, 0.000, 0.000], \"class\": 2}") != std::string::npos);
  const std::vector<std::string> names{"bone", "ve\"ssel"};
  r.class_names = &names;
  CHECK(frame_json(r).find("\"class\": 2, \"class_name\": \"ve\\\"ssel\"}") != std::string::npos);
  FrameReport v;
  v.class_voxels = {100, 0, 7};
  CHECK(overall_state(v) == "VISIBLE");
  CHECK(frame_json(v).find("\"voxels\": {\"1\": 0, \"2\": 7}, \"tracks\": []") != std::string::npos);
  v.class_voxels = {100, 0, 0};
  CHECK(overall_state(v) == "NONE");
}

TEST_CASE("the summary line of an idle interval says idle, with no rates or latencies of 0") {
  InferenceStats before, now;
  before.processed = now.processed = 21;
  before.frames_in = now.frames_in = 21;
  now.relay.clients = 1;
  const std::string line = inference_summary(now, before, 5.0, {});
  CHECK(line == "pipeline: idle, no frame in the last 5 s; 21 processed in all, 1 client(s), upstream not connected");
  now.frames_in = 30;
  now.processed = 30;
  CHECK(inference_summary(now, before, 5.0, {40.0, 50.0}).rfind("pipeline: 1.8 frames/s in, 1.8 out", 0) == 0);
}

TEST_CASE("most frames dropped: one warning naming the time a frame takes and the fixes") {
  InferenceStats before, now;
  now.frames_in = 150;   // 30 frames/s for 5 s
  now.processed = 60;
  now.dropped = 90;
  const std::string w = drop_warning(now, before, 5.0, std::vector<double>(60, 83.0), "cpu");
  CHECK(w == "pipeline: 90 of 150 frames dropped in the last 5 s: frames come every 33 ms, the pipeline takes 83 ms "
             "a frame (p50) on cpu. Only the newest frame is processed; to process more, run the models on a GPU "
             "(models.device=cuda) or send fewer frames per second");
  now.dropped = 75;  // half: no warning
  CHECK(drop_warning(now, before, 5.0, {}, "cpu").empty());
  now.frames_in = 9;  // too few frames to say
  now.dropped = 8;
  CHECK(drop_warning(now, before, 5.0, {}, "cpu").empty());
}
