// igtbridge-bench pipeline --kernel-profile: the summary of CUPTI's kernel
// records (pure: names, per-frame figures, the union of overlapping streams)
// and the profiler's refusal where CUPTI is not built in. The records
// themselves come from the GPU machine (docs/performance.md).
#include "tools/kernel_profiler.hpp"

#include <stdexcept>

#include "tools/pipeline_bench.hpp"

#undef CHECK
#include <catch2/catch.hpp>

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
  };
  CHECK(kernel_trace_csv(records) ==
        "start_us,end_us,stream,kernel\n"
        "0.000,1.250,7,triton_poi_fused_add_0\n"
        "2.500,4.000,9,at::native::vectorized_elementwise_kernel\n"
        "5.000,5.000,7,\"odd, \"\"name\"\"\"\n");
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
