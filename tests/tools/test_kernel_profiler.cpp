// igtbridge-bench pipeline --kernel-profile and --replay-timing: the summary
// of CUPTI's kernel records (pure: names, per-frame figures, the union of
// overlapping streams), the timed replays in the table and JSON, and the
// refusals where CUPTI or graph replays are not there. The records and the
// replays themselves come from the GPU machine (docs/performance.md).
#include "tools/kernel_profiler.hpp"

#include <stdexcept>

#include "tools/bench_report.hpp"
#include "tools/pipeline_bench.hpp"

#include "../support/catch.hpp"

using namespace igtb;

TEST_CASE("short_kernel_name: demangled, without templates, parameters and anonymous namespaces", "[kernels]") {
  CHECK(short_kernel_name("_ZN2at6native29vectorized_elementwise_kernelILi4ENS0_11FillFunctorIfEENS_6detail5ArrayIPcLi1EE"
                          "EEEviT0_T1_") == "at::native::vectorized_elementwise_kernel");
  CHECK(short_kernel_name("_ZN2at6native12_GLOBAL__N_113reduce_kernelILi512ELi1ENS1_8ReduceOpIfNS1_7MeanOpsIffEEjfLi4EE"
                          "EEEvT1_") == "at::native::reduce_kernel");
  // Triton's and cuDNN's kernels are plain names: kept as they are.
  CHECK(short_kernel_name("triton_poi_fused_add_convolution_relu_12") == "triton_poi_fused_add_convolution_relu_12");
  CHECK(short_kernel_name("sm90_xmma_fprop_implicit_gemm_f16f16_f16f32") == "sm90_xmma_fprop_implicit_gemm_f16f16_f16f32");
}

TEST_CASE("summarize_kernels: per frame, by name and stream, GPU busy as the union of the intervals", "[kernels]") {
  // Two frames. Stream 7 (the detector) runs conv 0..4 ms and add 5..6 ms per frame; stream 9 (the
  // encoder) runs conv 1..3 ms beside it: 2 ms of it overlap, so the GPU is busy 5 of 10 ms a frame.
  const std::vector<KernelRecord> records = {
      {"conv", 7, 0, 4000000},         {"add", 7, 5000000, 6000000},   {"conv", 9, 1000000, 3000000},
      {"conv", 7, 10000000, 14000000}, {"add", 7, 15000000, 16000000}, {"conv", 9, 11000000, 13000000},
      // copies and memsets are in the trace, not in the summary (nor in the busy time)
      {"[memcpy HtoD 1000 B]", 3, 6000000, 9000000, false}, {"[memset 64 B]", 7, 16000000, 19000000, false},
  };
  const KernelProfile p = summarize_kernels(records, 2, 20.0);
  CHECK(p.frames == 2);
  CHECK(p.wall_ms_per_frame == Approx(10.0));
  CHECK(p.kernels_per_frame == Approx(3.0));
  CHECK(p.kernel_ms_per_frame == Approx(7.0));
  CHECK(p.busy_ms_per_frame == Approx(5.0));
  REQUIRE(p.kernels.size() == 2);
  CHECK(p.kernels[0].name == "conv");  // largest first
  CHECK(p.kernels[0].calls_per_frame == Approx(2.0));
  CHECK(p.kernels[0].ms_per_frame == Approx(6.0));
  CHECK(p.kernels[1].name == "add");
  CHECK(p.kernels[1].ms_per_frame == Approx(1.0));
  REQUIRE(p.streams.size() == 2);
  CHECK(p.streams[0].id == 7);
  CHECK(p.streams[0].kernel_ms_per_frame == Approx(5.0));
  CHECK(p.streams[1].id == 9);
  CHECK(p.streams[1].kernels_per_frame == Approx(1.0));

  const std::string table = kernel_profile_table(p, 1);
  CHECK(table.find("GPU busy 5.000 ms of 10.000 ms") != std::string::npos);
  CHECK(table.find("idle 50 %") != std::string::npos);
  CHECK(table.find("conv") != std::string::npos);
  CHECK(table.find("(1 other kernels)") != std::string::npos);  // "add", past the top 1

  CHECK(summarize_kernels({}, 0, 0).frames == 0);  // nothing profiled: no division by zero
}

TEST_CASE("kernel_trace_csv: one line a kernel in order of start, microseconds from the first", "[kernels]") {
  const std::vector<KernelRecord> records = {
      {"_ZN2at6native29vectorized_elementwise_kernelILi4ENS0_11FillFunctorIfEENS_6detail5ArrayIPcLi1EEEEEviT0_T1_", 9,
       3002500, 3004000},
      {"triton_poi_fused_add_0", 7, 3000000, 3001250},
      {"odd, \"name\"", 7, 3005000, 3004000},  // a comma and quotes; an end before its start (clamped)
      {"[memcpy DtoH 4096 B]", 7, 3006000, 3007000, false},  // a copy: its name as recorded
  };
  CHECK(kernel_trace_csv(records) ==
        "start_us,end_us,stream,kernel\n"
        "0.000,1.250,7,triton_poi_fused_add_0\n"
        "2.500,4.000,9,at::native::vectorized_elementwise_kernel\n"
        "5.000,5.000,7,\"odd, \"\"name\"\"\"\n"
        "6.000,7.000,7,[memcpy DtoH 4096 B]\n");
  CHECK(kernel_trace_csv({}) == "start_us,end_us,stream,kernel\n");
}

TEST_CASE("the kernel profiler refuses clearly where CUPTI is not built in", "[kernels]") {
  if (KernelProfiler::available()) SUCCEED("CUPTI is built in (the GPU machine): the bench runs it there");
  else {
    KernelProfiler profiler;
    CHECK_THROWS_WITH(profiler.start(), Catch::Contains("needs a build with CUDA and CUPTI"));
    PipelineBenchOptions o;
    o.file = std::string(IGTB_TEST_DATA_DIR) + "/SpinePhantomFreehand.igs.mha";
    o.kernel_profile = 5;
    CHECK_THROWS_WITH(run_pipeline_bench(o), Catch::Contains("needs a build with CUDA and CUPTI"));
  }
}

TEST_CASE("timing graph replays refuses clearly without a CUDA pipeline that replays graphs", "[kernels]") {
  PipelineBenchOptions o;
  o.file = std::string(IGTB_TEST_DATA_DIR) + "/SpinePhantomFreehand.igs.mha";
  o.frames = 2;
  o.warmup = 0;
  o.replay_timing = 3;
  CHECK_THROWS_WITH(run_pipeline_bench(o), Catch::Contains("needs models.device cuda with pipeline.cuda_graph on"));
  o.pipeline.device = "cuda";
  o.pipeline.cuda_graph = false;
  if (torch::cuda::is_available())  // graphs off: nothing would replay
    CHECK_THROWS_WITH(run_pipeline_bench(o), Catch::Contains("pipeline.cuda_graph on"));
}

TEST_CASE("timed replays in the bench's table and JSON: the figures given, or that none replayed", "[kernels]") {
  PipelineBenchOptions o;
  o.file = "rec.mha";
  o.replay_timing = 200;
  PipelineBenchResult r;
  r.device = "cuda:0";
  r.frames = 10;
  r.replay_frames = 198;
  r.replay_launch = {"launch", 0.030, 0.035, 0.040, 0.031};  // p50, p95, p99, mean
  r.replay_gpu = {"gpu", 3.200, 3.250, 3.300, 3.210};
  r.replay_process = {"process", 3.400, 3.420, 3.450, 3.410};
  const std::string table = pipeline_bench_table(o, r, 0);
  INFO(table);
  CHECK_THAT(table, Catch::Contains("replays timed: launch p50 0.030 p99 0.040 ms (host), graph p50 3.200 p99 3.300 ms "
                                    "(GPU, CUDA events), process p50 3.400 p99 3.450 ms (host); 198 of 200 further frames"));
  const std::string json = pipeline_bench_json(o, r);
  INFO(json);
  CHECK_THAT(json, Catch::Contains("\"replay_timing\": {\"frames\": 198, \"launch_ms\": {\"p50\": 0.0300, \"p95\": 0.0350, "
                                   "\"p99\": 0.0400, \"mean\": 0.0310}"));
  CHECK_THAT(json, Catch::Contains("\"gpu_ms\": {\"p50\": 3.2000, "));
  CHECK_THAT(json, Catch::Contains("\"process_ms\": {\"p50\": 3.4000, "));
  r.replay_frames = 0;
  CHECK_THAT(pipeline_bench_table(o, r, 0), Catch::Contains("replays timed: none of 200 further frames replayed a graph"));
  o.replay_timing = 0;
  CHECK_THAT(pipeline_bench_table(o, r, 0), !Catch::Contains("replays timed"));
  CHECK_THAT(pipeline_bench_json(o, r), !Catch::Contains("replay_timing"));
}
