// igtbridge-bench gpu on the CPU with the demo models: the pipeline back to
// back, the live run through real sockets, and references run as child
// processes (a stand-in script that writes reference_pipeline.py's JSON from
// the arguments it was given), the side-by-side and its JSON.
#include "tools/gpu_bench.hpp"

#include <ftw.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../support/catch.hpp"

using namespace igtb;
namespace fs = std::filesystem;

namespace {

const std::string kData = IGTB_TEST_DATA_DIR;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("igtb_gpu_bench_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  // Not fs::remove_all: in binaries linked with the CUDA LibTorch 2.11
  // wheel, std::filesystem's directory iteration calls a null function
  // (SIGSEGV on the GPU machine, AddressSanitizer: "pc points to the zero
  // page", found in this destructor). nftw is the C library's own walk.
  ~TempDir() {
    ::nftw(
        path.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  std::string file(const std::string& name, const std::string& text) const {
    const auto p = (path / name).string();
    std::ofstream(p) << text;
    return p;
  }
};

/// A stand-in for reference_pipeline.py: p50 = 100 ms for eager, 10 ms for
/// compile, frames as given; records its arguments; bf16 fails (exit 3).
const char* kFakeReference = R"(#!/bin/sh
echo "$@" > "$0.args.$$"
while [ $# -gt 0 ]; do
  case $1 in --json) j=$2; shift ;; --mode) m=$2; shift ;; --precision) p=$2; shift ;; --frames) n=$2; shift ;; esac
  shift
done
[ "$p" = bf16 ] && { echo "no bf16 here" >&2; exit 3; }
if [ "$m" = eager ]; then t=100; else t=10; fi
printf '{"mode": "%s", "precision": "%s", "p50_ms": %s, "p95_ms": %s.5, "p99_ms": %s.9, "fps": 9.5, "frames": %s,
 "copies": {"h2d_per_frame": 2.0, "d2h_per_frame": 2.0}, "gpu_memory_mib": null}\n' "$m" "$p" $t $t $t $n > "$j"
)";

}  // namespace

TEST_CASE("reference runs are parsed from MODE:PRECISION lists") {
  const auto runs = parse_reference_runs("eager:fp32,compile:fp16");
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].mode == "eager");
  CHECK(runs[0].precision == "fp32");
  CHECK(runs[1].mode == "compile");
  CHECK(runs[1].precision == "fp16");
  CHECK_THROWS_WITH(parse_reference_runs("eager"), Catch::Contains("'eager'"));
  CHECK_THROWS_WITH(parse_reference_runs("jit:fp32"), Catch::Contains("MODE:PRECISION"));
  CHECK_THROWS_WITH(parse_reference_runs("eager:fp8"), Catch::Contains("'eager:fp8'"));
  CHECK_THROWS(parse_reference_runs(""));
}

TEST_CASE("a reference's JSON is read, and a file that is not one is one clear error") {
  TempDir d;
  const auto good = d.file("good.json", R"({"mode": "eager", "p50_ms": 26.19, "p95_ms": 28.0, "p99_ms": 31.76,
    "fps": 37.9, "copies": {"h2d_per_frame": 2.0, "d2h_per_frame": 2.0}, "gpu_memory_mib": 874.5})");
  const ReferenceResult r = read_reference_json(good);
  CHECK(r.p50 == Approx(26.19));
  CHECK(r.p95 == Approx(28.0));
  CHECK(r.p99 == Approx(31.76));
  CHECK(r.fps == Approx(37.9));
  CHECK(r.h2d == 2.0);
  CHECK(r.d2h == 2.0);
  CHECK(r.gpu_memory_mib == Approx(874.5));
  const auto bare = d.file("bare.json", R"({"p50_ms": 5, "p99_ms": 6, "fps": 150, "copies": null,
    "gpu_memory_mib": null})");
  const ReferenceResult b = read_reference_json(bare);
  CHECK(b.h2d == -1);
  CHECK(b.gpu_memory_mib == -1);
  CHECK(b.p95 == -1);

  CHECK_THROWS_WITH(read_reference_json(d.file("nop50.json", R"({"p99_ms": 6, "fps": 150})")),
                    Catch::Contains("nop50.json") && Catch::Contains("p50_ms"));
  CHECK_THROWS_WITH(read_reference_json(d.file("broken.json", "{\"p50_ms\": [1, ")),
                    Catch::Contains("broken.json") && Catch::Contains("not a reference_pipeline.py result"));
  CHECK_THROWS_WITH(read_reference_json(d.file("list.json", "[1, 2]")), Catch::Contains("list.json"));
  CHECK_THROWS_WITH(read_reference_json((d.path / "absent.json").string()), Catch::Contains("absent.json"));
}

TEST_CASE("run_child: exit status, output into the log, a timeout ends it, a missing program throws") {
  TempDir d;
  const auto log = (d.path / "child.log").string();
  CHECK(run_child({"sh", "-c", "echo out; echo err >&2; exit 4"}, log, 10) == 4);
  std::ifstream in(log);
  std::string a, b;
  std::getline(in, a);
  std::getline(in, b);
  CHECK(a == "out");
  CHECK(b == "err");
  CHECK(run_child({"sh", "-c", "exit 0"}, log, 10) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(run_child({"sh", "-c", "sleep 30 & sleep 30; wait"}, log, 0.3) == 137);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  CHECK_THROWS_WITH(run_child({"/nonexistent/igtb-reference"}, log, 10), Catch::Contains("/nonexistent/igtb-reference"));
}

TEST_CASE("run_child: what the child left running in its group ends with it") {
  TempDir d;
  const auto pid_file = (d.path / "grandchild.pid").string();
  CHECK(run_child({"sh", "-c", "sleep 60 & echo $! > " + pid_file + "; exit 0"}, (d.path / "log").string(), 10) == 0);
  std::ifstream in(pid_file);
  int grandchild = 0;
  in >> grandchild;
  REQUIRE(grandchild > 0);
  // Killed: gone, or a zombie until its new parent reaps it.
  bool ended = false;
  for (int i = 0; i < 200 && !ended; ++i) {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string pid, comm, state;
    ended = !(stat >> pid >> comm >> state) || state == "Z";
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(ended);
}

TEST_CASE("igtbridge-bench gpu on the CPU: the pipeline, live with sockets, the references and the speed-ups") {
  TempDir d;
  const auto script = d.file("reference.sh", kFakeReference);
  GpuBenchOptions o;
  o.pipeline.file = kData + "/SpinePhantomFreehand.igs.mha";
  o.pipeline.frames = 3;
  o.pipeline.warmup = 1;
  o.live_fps = 10;
  o.live_frames = 12;
  o.reference = {"sh", script};
  o.references = parse_reference_runs("eager:fp32,compile:fp16,compile:bf16");
  o.work_dir = d.path.string();
  std::vector<std::string> progress;
  const GpuBenchResult r = run_gpu_bench(o, [&](const std::string& s) { progress.push_back(s); });

  // The C++ pipeline ran (CPU, demo models) and its e2e is the last stage.
  REQUIRE(r.pipeline.frames == 3);
  REQUIRE(r.pipeline.stages.back().name == "e2e");
  const double cxx_p50 = r.pipeline.stages.back().p50;
  CHECK(cxx_p50 > 0);
  // Live through the sockets: every frame sent arrived; each was processed or dropped for a newer one.
  CHECK(r.live.ran);
  CHECK(r.live.sent == 12);
  CHECK(r.live.received == 12);
  CHECK(r.live.processed >= 1);
  CHECK(r.live.processed + r.live.dropped == r.live.received);
  CHECK(r.live.failed == 0);
  CHECK(r.live.masks_received >= 1);
  CHECK(r.live.masks_received <= r.live.processed);
  CHECK(r.live.e2e.p50 > 0);
  CHECK(r.live.first_ms > 0);
  CHECK(r.live.e2e.p50 <= r.live.max_ms);

  // The references got the same recording and frame count, each its own mode and precision.
  REQUIRE(r.references.size() == 3);
  const ReferenceResult& eager = r.references[0];
  const ReferenceResult& compile = r.references[1];
  CHECK(eager.error.empty());
  CHECK(eager.name == "Python eager fp32");
  CHECK(eager.p50 == 100);
  CHECK(eager.p99 == Approx(100.9));
  CHECK(compile.error.empty());
  CHECK(compile.p50 == 10);
  CHECK(compile.h2d == 2.0);
  const YAML::Node args_json = YAML::LoadFile(eager.json_path);
  CHECK(args_json["frames"].as<int>() == 3);
  CHECK(args_json["precision"].as<std::string>() == "fp32");
  // A failing one: its exit status and last line, the others unaffected.
  CHECK_FALSE(r.references_ok());
  CHECK(r.references[2].error.find("exit 3") != std::string::npos);
  CHECK(r.references[2].error.find("no bf16 here") != std::string::npos);
  CHECK(progress.size() == 5);

  // Arguments passed on: the recording and the frames, after the given command.
  bool saw_recording = false;
  for (const auto& e : fs::directory_iterator(d.path))
    if (e.path().filename().string().rfind("reference.sh.args.", 0) == 0) {
      std::ifstream in(e.path());
      std::string line;
      std::getline(in, line);
      saw_recording |= line.find("--recording " + o.pipeline.file + " --frames 3 --mode ") == 0;
    }
  CHECK(saw_recording);

  // The printed table: the speed-ups are reference p50 over C++ p50.
  const std::string table = gpu_bench_table(o, r);
  char eager_ratio[64], compile_ratio[64];
  std::snprintf(eager_ratio, sizeof eager_ratio, "speed-up over Python eager fp32: %.2fx", 100 / cxx_p50);
  std::snprintf(compile_ratio, sizeof compile_ratio, "speed-up over Python compile fp16: %.2fx", 10 / cxx_p50);
  CHECK_THAT(table, Catch::Contains(eager_ratio));
  CHECK_THAT(table, Catch::Contains(compile_ratio));
  CHECK_THAT(table, Catch::Contains("Python compile bf16: FAILED, exit 3"));
  CHECK_THAT(table, Catch::Contains("C++ live"));
  CHECK_THAT(table, Catch::Contains("C++ pipeline fp32, TorchScript"));

  // The JSON holds all of it, readable.
  const YAML::Node j = YAML::Load(gpu_bench_json(o, r));
  CHECK(j["tool"].as<std::string>() == "igtbridge-bench gpu");
  CHECK(j["pipeline"]["frames"].as<int>() == 3);
  CHECK(j["pipeline"]["stages_ms"]["e2e"]["p50"].as<double>() == Approx(cxx_p50).epsilon(1e-3));
  CHECK(j["live"]["processed"].as<std::uint64_t>() == r.live.processed);
  REQUIRE(j["references"].size() == 3);
  CHECK(j["references"][0]["speedup_p50"].as<double>() == Approx(100 / cxx_p50).epsilon(1e-3));
  CHECK(j["references"][0]["result"]["p50_ms"].as<double>() == 100);
  CHECK(j["references"][2]["result"].IsNull());
  CHECK(j["references"][2]["error"].as<std::string>().find("exit 3") != std::string::npos);
}

TEST_CASE("igtbridge-bench gpu: a reference that cannot run fails before the C++ runs") {
  TempDir d;
  GpuBenchOptions o;
  o.pipeline.file = kData + "/SpinePhantomFreehand.igs.mha";
  o.reference = {"igtb-no-such-python", "reference_pipeline.py"};
  o.work_dir = d.path.string();
  std::vector<std::string> progress;
  CHECK_THROWS_WITH(run_gpu_bench(o, [&](const std::string& s) { progress.push_back(s); }),
                    Catch::Contains("'igtb-no-such-python'") && Catch::Contains("PATH"));
  CHECK(progress.empty());
  o.reference = {"sh"};
  o.work_dir = (d.path / "absent").string();
  CHECK_THROWS_WITH(run_gpu_bench(o), Catch::Contains("absent"));
}

TEST_CASE("igtbridge-bench gpu without references or a live run: the pipeline alone") {
  GpuBenchOptions o;
  o.pipeline.file = kData + "/SpinePhantomFreehand.igs.mha";
  o.pipeline.frames = 2;
  o.pipeline.warmup = 1;
  o.live_frames = 0;
  const GpuBenchResult r = run_gpu_bench(o);
  CHECK(r.pipeline.frames == 2);
  CHECK_FALSE(r.live.ran);
  CHECK(r.references.empty());
  CHECK(r.references_ok());
  const YAML::Node j = YAML::Load(gpu_bench_json(o, r));
  CHECK(j["live"].IsNull());
  CHECK(j["references"].size() == 0);
}
