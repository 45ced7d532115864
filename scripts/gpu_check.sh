#!/usr/bin/env bash
# On the GPU machine (see docs/gpu.md): configure and build against
# the CUDA LibTorch with the staged Debian deps, run ctest (the gpu-labelled
# tests included), then the pipeline benchmark on CUDA in each precision and
# a live run: replay at 30 frames/s -> igtbridge (models.device=cuda) ->
# listen. Logs go to ${OUT:-out/gpu}.
set -uo pipefail
out=${OUT:-out/gpu}
mkdir -p "$out"
source .gpu/device-env.sh >"$out/env.log" 2>&1
{ cmake -S . -B build-gpu -G Ninja $GPU_CMAKE_ARGS >"$out/configure.log" 2>&1 &&
  cmake --build build-gpu -j "$(nproc)" >"$out/build.log" 2>&1; } || { tail -40 "$out/configure.log" "$out/build.log"; exit 1; }
ctest --test-dir build-gpu --output-on-failure >"$out/ctest.log" 2>&1
ctest_rc=$?
grep -E "tests passed|tests failed|Test +#" "$out/ctest.log" | tail -25
B=build-gpu/apps
"$B/igtbridge" --version
for p in fp32 fp16 bf16; do
  "$B/igtbridge-bench" pipeline --frames "${FRAMES:-500}" --set models.device=cuda --set models.precision=$p 2>&1 | tee -a "$out/bench.log"
done
"$B/igtbridge-bench" pipeline --frames "${FRAMES:-500}" --set models.device=cuda --set pipeline.cuda_graph=false 2>&1 | tee -a "$out/bench.log"
"$B/igtbridge-bench" pipeline --frames "${FRAMES:-500}" --set models.device=cuda --sync-stages 2>&1 | tee -a "$out/bench.log"
"$B/igtbridge-bench" pipeline --frames 200 --set models.device=cpu 2>&1 | tee -a "$out/bench.log"

FPS=30 FRAMES="${LIVE_FRAMES:-300}" bash scripts/gpu_live.sh "$out/live"
exit "$ctest_rc"
