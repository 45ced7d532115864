#!/usr/bin/env bash
# On the GPU machine (docs/gpu.md): the segment shape (pipeline.kind: segment)
# beside its Python reference, in one call. Builds igtbridge-bench,
# test_segment_cuda and test_device_tracker_cuda against the CUDA LibTorch,
# exports a MONAI-style U-Net with RANDOM weights (scripts/export_unet.py, as aigt exports: TorchScript +
# config.json), runs those CUDA tests, the pipeline bench (demo network
# and the U-Net, fp32/fp16/bf16), then `igtbridge-bench gpu` with the U-Net in
# fp16: back to back and live through its sockets, then
# scripts/reference_segment.py (eager fp32, torch.compile fp16) as its child
# processes on the same recording. Logs and JSON under $OUT. BENCH_MODELS and
# PRECISIONS narrow the pipeline bench (default: both models, three precisions).
set -uo pipefail
: "${OUT:?set OUT to the result folder}"
FRAMES=${FRAMES:-300}
M=${MODELS:-/tmp/igtb-models}
REC=tests/data/SpinePhantomFreehand.igs.mha
mkdir -p "$M" "$OUT/ref"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
source .gpu/device-env.sh >"$OUT/env.log" 2>&1
{ cmake -S . -B build-gpu -G Ninja $GPU_CMAKE_ARGS >"$OUT/configure.log" 2>&1 &&
  cmake --build build-gpu -j "$(nproc)" --target igtbridge-bench test_segment_cuda test_device_tracker_cuda \
    >"$OUT/build.log" 2>&1; } ||
  { tail -40 "$OUT/configure.log" "$OUT/build.log"; exit 1; }
python3 scripts/export_unet.py --out "$M/unet.pt" 2>&1 | tee "$OUT/export_unet.log"
build-gpu/tests/pipeline/test_segment_cuda >"$OUT/test_segment_cuda.log" 2>&1
echo "test_segment_cuda: rc=$? ($(tail -2 "$OUT/test_segment_cuda.log" | head -1))"
build-gpu/tests/pipeline/test_device_tracker_cuda >"$OUT/test_device_tracker_cuda.log" 2>&1
echo "test_device_tracker_cuda: rc=$? ($(tail -2 "$OUT/test_device_tracker_cuda.log" | head -1))"
B=build-gpu/apps/igtbridge-bench
for model in ${BENCH_MODELS:-demo $M/unet.pt}; do
  for p in ${PRECISIONS:-fp32 fp16 bf16}; do
    "$B" pipeline --file "$REC" --frames "$FRAMES" --set models.device=cuda --set pipeline.kind=segment \
      --set "models.segmentation=$model" --set "models.precision=$p" 2>&1 | tee -a "$OUT/segment_bench.log" |
      grep -E "benchmark|e2e|segment |match|sustained|GPU memory"
  done
done
"$B" gpu --file "$REC" --frames "$FRAMES" --set models.device=cuda --set pipeline.kind=segment \
  --set "models.segmentation=$M/unet.pt" --set models.precision=fp16 --live-fps 100 --live-frames 1000 \
  --reference "python3 scripts/reference_segment.py --model $M/unet.pt" --reference-runs eager:fp32,compile:fp16 \
  --reference-timeout 240 --work-dir "$OUT/ref" --json "$OUT/segment_gpu_bench.json" 2>&1 | tee "$OUT/segment_gpu_bench.log"
