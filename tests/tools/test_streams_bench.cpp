// igtbridge-bench pipeline --streams N on the CPU with the demo models:
// N pipelines at once, one thread each, against one alone in the same run.
#include "tools/pipeline_bench.hpp"

#include <regex>

#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("streams bench: one alone, then every stream's frames at once, and its JSON") {
  PipelineBenchOptions o;
  o.file = std::string(IGTB_TEST_DATA_DIR) + "/SpinePhantomFreehand.igs.mha";
  o.frames = 4;
  o.warmup = 1;
  o.streams = 3;
  const StreamsBenchResult r = run_streams_bench(o);
  CHECK(r.device == "cpu,cpu,cpu");
  CHECK(r.frame == "820x616x1 uint8");
  CHECK(r.frames == 4);
  REQUIRE(r.each.size() == 3);
  REQUIRE(r.each_fps.size() == 3);
  CHECK(r.alone.p50 > 0);
  CHECK(r.alone.p99 >= r.alone.p50);
  CHECK(r.alone_fps > 0);
  for (std::size_t s = 0; s < 3; ++s) {
    CHECK(r.each[s].p50 > 0);
    CHECK(r.each[s].p99 >= r.each[s].p50);
    CHECK(r.each_fps[s] > 0);
    CHECK(r.each[s].mean * 4 <= r.seconds * 1000 + 1e-6);  // its 4 frames within the concurrent run's wall time
  }
  CHECK(r.total_fps() == Approx(12 / r.seconds));
  CHECK(r.gpu_memory_mib == 0);

  const std::string j = streams_bench_json(o, r);
  CHECK(j.find("\"tool\": \"igtbridge-bench pipeline --streams\"") != std::string::npos);
  CHECK(j.find("\"streams\": 3, \"frames_per_stream\": 4") != std::string::npos);
  const std::regex each(R"re(\{"e2e_ms": \{"p50": [0-9.]+, "p95": [0-9.]+, "p99": [0-9.]+, "mean": [0-9.]+\}, "fps": [0-9.]+\})re");
  CHECK(std::distance(std::sregex_iterator(j.begin(), j.end(), each), std::sregex_iterator()) == 4);  // alone + 3
}

TEST_CASE("streams bench needs two streams or more") {
  PipelineBenchOptions o;
  o.file = std::string(IGTB_TEST_DATA_DIR) + "/SpinePhantomFreehand.igs.mha";
  o.streams = 1;
  CHECK_THROWS_WITH(run_streams_bench(o), Catch::Contains("at least 2"));
}
