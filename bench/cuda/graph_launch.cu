// What a CUDA graph's launch costs by its shape (issue 24): the frame's graph
// holds ~680 kernels on two branches (the encoder beside the detector), and
// its traces show both streams idle for 0.3 ms early in the frame. Is that
// the host still pushing the graph's nodes? CUDA launches a straight-line
// graph (one chain) in constant time, a graph with branches node by node.
//
// Each shape below is made of the same short busy kernels (about K_US us of
// one block each) and timed over REPS launches: the launch call's host time,
// the GPU time between two events around it, and the GPU time the kernels
// alone need (the longest chain). Shapes:
//   chain      all kernels in one chain;
//   fork       a few kernels, then two branches (fork/join by events), a tail:
//              the frame's shape;
//   split      the same work as four straight-line graphs (head, the two
//              branches on two streams, tail), joined by events between launches;
//   chain with a memset (or a kernel zeroing the same 64 bytes) every 20
//              kernels, and the memset chain launched behind 300 us of work.
//
// Build and run (on the GPU machine): nvcc -O2 -std=c++17 -arch=sm_90
//   bench/cuda/graph_launch.cu -o /tmp/graph_launch && /tmp/graph_launch [N] [K_US]
// Measurement only: not part of the build or the tests.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CK(x)                                                                          \
  do {                                                                                 \
    cudaError_t e_ = (x);                                                              \
    if (e_ != cudaSuccess) {                                                           \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      std::exit(1);                                                                    \
    }                                                                                  \
  } while (0)

__global__ void spin(long long cycles) {
  const long long t0 = clock64();
  while (clock64() - t0 < cycles) {
  }
}

__global__ void zero64(int* p) {
  if (threadIdx.x < 16) p[threadIdx.x] = 0;
}

namespace {

long long g_cycles = 0;

void kernels(cudaStream_t s, int n) {
  for (int i = 0; i < n; ++i) spin<<<1, 32, 0, s>>>(g_cycles);
}

struct Streams {
  cudaStream_t a, b;
  cudaEvent_t fork, join;
};

// Captures f(streams) on streams.a into an executable graph.
template <class F>
cudaGraphExec_t capture(Streams& st, F f) {
  cudaGraph_t g;
  CK(cudaStreamBeginCapture(st.a, cudaStreamCaptureModeThreadLocal));
  f(st);
  CK(cudaStreamEndCapture(st.a, &g));
  cudaGraphExec_t x;
  CK(cudaGraphInstantiate(&x, g, 0));
  CK(cudaGraphUpload(x, st.a));
  CK(cudaGraphDestroy(g));
  return x;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::size_t(p * double(v.size() - 1))];
}

// Times REPS calls of launch() between events on st.a (after a sync each).
template <class L>
void timeit(const char* name, int reps, Streams& st, double ideal_us, L launch) {
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  std::vector<double> host, gpu;
  for (int r = 0; r < reps + 10; ++r) {
    CK(cudaEventRecord(e0, st.a));
    const auto t0 = std::chrono::steady_clock::now();
    launch();
    const auto t1 = std::chrono::steady_clock::now();
    CK(cudaEventRecord(e1, st.a));
    CK(cudaEventSynchronize(e1));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    if (r < 10) continue;
    host.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    gpu.push_back(double(ms) * 1000.0);
  }
  std::printf("%-34s launch p50 %8.1f us  p99 %8.1f | GPU p50 %8.1f us  p99 %8.1f | kernels alone %8.1f us | GPU - alone %7.1f\n",
              name, pct(host, 0.5), pct(host, 0.99), pct(gpu, 0.5), pct(gpu, 0.99), ideal_us,
              pct(gpu, 0.5) - ideal_us);
  CK(cudaEventDestroy(e0));
  CK(cudaEventDestroy(e1));
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 680;
  const double k_us = argc > 2 ? std::atof(argv[2]) : 4.7;
  const int reps = 200;
  int clock_khz = 0;
  CK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
  g_cycles = (long long)(k_us * clock_khz / 1000.0);
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  int drv = 0, rt = 0;
  CK(cudaDriverGetVersion(&drv));
  CK(cudaRuntimeGetVersion(&rt));
  std::printf("%s, driver %d, runtime %d, %d kernels of ~%.1f us (%lld cycles at %d MHz), %d launches each\n",
              prop.name, drv, rt, n, k_us, g_cycles, clock_khz / 1000, reps);

  Streams st;
  CK(cudaStreamCreateWithFlags(&st.a, cudaStreamNonBlocking));
  CK(cudaStreamCreateWithFlags(&st.b, cudaStreamNonBlocking));
  CK(cudaEventCreateWithFlags(&st.fork, cudaEventDisableTiming));
  CK(cudaEventCreateWithFlags(&st.join, cudaEventDisableTiming));

  // The measured kernel: one alone, timed by events over 200 back to back.
  {
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    kernels(st.a, 50);
    CK(cudaEventRecord(e0, st.a));
    kernels(st.a, 200);
    CK(cudaEventRecord(e1, st.a));
    CK(cudaEventSynchronize(e1));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    std::printf("one kernel back to back in a stream: %.2f us\n", ms * 1000.0 / 200);
  }
  const int head = 15, tail = 30, branch_a = (n - head - tail) * 47 / 100, branch_b = n - head - tail - branch_a;

  cudaGraphExec_t chain = capture(st, [&](Streams& s) { kernels(s.a, n); });
  // A chain with a small memset every 20 kernels (the frame's graph has memsets and copies too).
  int* scratch = nullptr;
  CK(cudaMalloc(&scratch, 4096));
  cudaGraphExec_t chain_memset = capture(st, [&](Streams& s) {
    for (int i = 0; i < n; i += 20) {
      CK(cudaMemsetAsync(scratch, 0, 64, s.a));
      kernels(s.a, std::min(20, n - i));
    }
  });
  // The same with a one-block kernel writing those 64 bytes instead of each memset.
  cudaGraphExec_t chain_memset_kernel = capture(st, [&](Streams& s) {
    for (int i = 0; i < n; i += 20) {
      zero64<<<1, 64, 0, s.a>>>(scratch);
      kernels(s.a, std::min(20, n - i));
    }
  });
  cudaGraphExec_t fork = capture(st, [&](Streams& s) {
    kernels(s.a, head);
    CK(cudaEventRecord(s.fork, s.a));
    CK(cudaStreamWaitEvent(s.b, s.fork, 0));
    kernels(s.b, branch_a);
    kernels(s.a, branch_b);
    CK(cudaEventRecord(s.join, s.b));
    CK(cudaStreamWaitEvent(s.a, s.join, 0));
    kernels(s.a, tail);
  });
  // The split: four straight-line graphs; the branch on stream b is captured there.
  cudaGraphExec_t g_head = capture(st, [&](Streams& s) { kernels(s.a, head); });
  cudaGraphExec_t g_a = capture(st, [&](Streams& s) { kernels(s.a, branch_a); });
  cudaGraphExec_t g_b = capture(st, [&](Streams& s) { kernels(s.a, branch_b); });
  cudaGraphExec_t g_tail = capture(st, [&](Streams& s) { kernels(s.a, tail); });

  // The ideals use the asked duration; the back-to-back line above gives the real one.
  const double chain_us = n * k_us, fork_us = (head + std::max(branch_a, branch_b) + tail) * k_us;
  const long long cycles_300us = (long long)(300.0 * clock_khz / 1000.0);
  timeit("chain (one stream)", reps, st, chain_us, [&] { CK(cudaGraphLaunch(chain, st.a)); });
  timeit("chain with a memset every 20", reps, st, chain_us, [&] { CK(cudaGraphLaunch(chain_memset, st.a)); });
  timeit("chain with a zeroing kernel every 20", reps, st, chain_us,
         [&] { CK(cudaGraphLaunch(chain_memset_kernel, st.a)); });
  timeit("chain with memsets, behind 300 us", reps, st, 300 + chain_us, [&] {
    spin<<<1, 32, 0, st.a>>>(cycles_300us);
    CK(cudaGraphLaunch(chain_memset, st.a));
  });
  timeit("fork (two branches)", reps, st, fork_us,
         [&] { CK(cudaGraphLaunch(fork, st.a)); });
  timeit("split (4 straight-line graphs)", reps, st, fork_us, [&] {
    CK(cudaGraphLaunch(g_head, st.a));
    CK(cudaEventRecord(st.fork, st.a));
    CK(cudaStreamWaitEvent(st.b, st.fork, 0));
    CK(cudaGraphLaunch(g_a, st.b));
    CK(cudaGraphLaunch(g_b, st.a));
    CK(cudaEventRecord(st.join, st.b));
    CK(cudaStreamWaitEvent(st.a, st.join, 0));
    CK(cudaGraphLaunch(g_tail, st.a));
  });
  // Launched behind 300 us of queued work: does the push still show?
  timeit("fork, launched behind 300 us", reps, st, 300 + fork_us, [&] {
    spin<<<1, 32, 0, st.a>>>(cycles_300us);
    CK(cudaGraphLaunch(fork, st.a));
  });
  for (cudaGraphExec_t x : {chain, chain_memset, chain_memset_kernel, fork, g_head, g_a, g_b, g_tail}) CK(cudaGraphExecDestroy(x));
  CK(cudaFree(scratch));
  return 0;
}
