#!/usr/bin/env bash
# On the GPU machine: export D-FINE-S and MobileSAM with the export scripts,
# run the C++ pipeline on those exports (igtbridge-bench, built here in the
# background meanwhile; needs .gpu carried too, CXX_BENCH=0 leaves it out), then
# time the Python reference pipeline (eager and torch.compile) on the bundled
# recording, all in one call so the figures compare.
#
# Upstream checkouts (never part of this repository) go in the git-ignored
# upstream/ folder: D-FINE (github.com/Peterande/D-FINE, 4a1f73a) and
# MobileSAM (github.com/ChaoningZhang/MobileSAM, 34bbbfd), plain files, about
# 11 MB together. Then, from the repo root, a device call with carry
# ["upstream", ".gpu"]:  OUT=... bash scripts/gpu_models.sh
# (DFINE_REPO / MOBILESAM_REPO point elsewhere).
# Needs $OUT (the device's result folder). Writes:
#   $OUT/<step>.log           one log per step (set -x trace of this script on stdout)
#   $OUT/models/*.pt          exported TorchScript files of at most 16 MiB (larger ones stay in $MODELS)
#   $OUT/cxx_*.log, cxx_*.json  igtbridge-bench pipeline on the exports (fp32, fp16), copies counted
#   $OUT/cxx_gpu_bench.json   igtbridge-bench gpu (AOTI=1): the fp16 AOTInductor pipeline back to back and live
#                             with sockets, the references run by it, the speed-ups
#   $OUT/compare.json         compare_bench.py: every run and the speed-ups, from this call
#   $OUT/ref/*.json, *.log    reference_pipeline.py results (eager fp32, compile fp16)
#   $OUT/summary.txt          the key lines of every log
# Every step runs even when an earlier one failed; the exit status is 1 when any step failed.
# Weights are random throughout (no D-FINE checkpoint in its repository; MobileSAM's weights/mobile_sam.pt
# is not in the stored snapshot): the speed is real, the detections and masks are not.
set -uo pipefail
set -x

: "${OUT:?set OUT to the result folder}"
BUDGET_S=${BUDGET_S:-560}          # whole script; the device allows 600 s a call
# EXPORT_FLAGS=--no-checks skips the exports' fp16/bf16 parity and timing checks (saves device time)
MODELS=${MODELS:-/tmp/igtb-models} # local folder for the exports (files > 16 MiB do not come back)
REC=tests/data/SpinePhantomFreehand.igs.mha
DFINE_REPO=${DFINE_REPO:-upstream/D-FINE}
MOBILESAM_REPO=${MOBILESAM_REPO:-upstream/MobileSAM}
FRAMES=${FRAMES:-200}
LIMIT=$((16 * 1024 * 1024))
START=$(date +%s)
FAILED=()

mkdir -p "$OUT/models" "$OUT/ref" "$MODELS"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

for d in "$DFINE_REPO/src/zoo/dfine" "$MOBILESAM_REPO/mobile_sam" "$REC"; do
  [ -e "$d" ] || { echo "missing $d (was upstream/ carried? run from the repo root)"; exit 2; }
done

{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 - <<'EOF'
import importlib, sys
print("python", sys.version.split()[0])
for m in ("torch", "torchvision", "timm", "scipy", "numpy", "yaml"):
    try:
        print(m, importlib.import_module(m).__version__)
    except Exception as e:  # informative: timm is needed by MobileSAM, scipy is optional
        print(m, "MISSING (%s)" % e)
import torch
print("cuda", torch.version.cuda, "available", torch.cuda.is_available())
EOF
} > "$OUT/env.log" 2>&1

# step NAME LIMIT_S CMD...: runs CMD with its output in $OUT/NAME.log, at most LIMIT_S seconds and never past
# the script's budget; records a failure (non-zero status, timeout included) and carries on.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET_S - ($(date +%s) - START)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -le 5 ]; then
    echo "== $name: SKIPPED, no time left" | tee "$OUT/$name.log"
    FAILED+=("$name(skipped)")
    return
  fi
  local t0 rc=0
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1 || rc=$?
  echo "== $name: rc=$rc in $(($(date +%s) - t0)) s (limit ${limit} s)" | tee -a "$OUT/$name.log"
  [ "$rc" -eq 0 ] || FAILED+=("$name(rc=$rc)")
}

# Copies the exports of at most 16 MiB into $OUT/models and prints every size.
collect() {
  local f sz
  for f in "$@"; do
    [ -f "$f" ] || { echo "missing export $f"; continue; }
    sz=$(stat -c %s "$f")
    if [ "$sz" -le "$LIMIT" ]; then
      cp "$f" "$OUT/models/$(basename "$(dirname "$f")")_$(basename "$f")"
      echo "$f: $sz bytes -> \$OUT/models"
    else
      echo "$f: $sz bytes (> 16 MiB, stays on the device)"
    fi
  done
}

# 0. The C++ build, in the background while the exports run (only what the benchmark needs).
# (Not named CXX: that variable names the C++ compiler to CMake.)
RUN_CXX=${CXX_BENCH:-1}
if [ "$RUN_CXX" = 1 ]; then
  ( source .gpu/device-env.sh && cmake -S . -B build-gpu -G Ninja $GPU_CMAKE_ARGS &&
    if [ "${GPU_TESTS:-0}" = 1 ]; then cmake --build build-gpu -j "$(nproc)"; else
      cmake --build build-gpu -j "$(nproc)" --target igtbridge-bench test_models igtbridge igtbridge-replay \
        igtbridge-listen; fi ) > "$OUT/cxx_build.log" 2>&1 &
  BUILD_PID=$!
fi

# 0b. AOTInductor packages (AOTI=1), fp16, in the background too: Inductor compiles for minutes.
#     --no-checks: loading the package back in Python crashed once (SIGSEGV, 2026-12-02, after the
#     detector compiled); the C++ benchmark below loads and checks them anyway.
# REUSE=1 keeps the exports a warm machine still has from an earlier call (same commit of the export scripts).
reuse() { [ "${REUSE:-0}" = 1 ] && for f in "$@"; do [ -s "$f" ] || return 1; done; }
if [ "${AOTI:-0}" = 1 ] && reuse "$MODELS"/aoti_fp16/{detector,encoder,decoder}.pt2; then
  echo "== aoti_fp16: rc=0 (reused from an earlier call)" | tee "$OUT/aoti_fp16.log"
  AOTI_PID=""
elif [ "${AOTI:-0}" = 1 ]; then
  ( step aoti_fp16 "${AOTI_LIMIT_S:-360}" python3 scripts/export_aoti.py --dfine-repo "$DFINE_REPO" \
      --mobilesam-repo "$MOBILESAM_REPO" --out-dir "$MODELS/aoti_fp16" --precision fp16 --no-checks ) &
  AOTI_PID=$!
fi

# 1. D-FINE-S, fp32 (random weights: no --checkpoint); its checks include the fp32 file turned fp16 after
#    loading, as the C++ loader does for models.precision fp16.
reuse "$MODELS/dfine_s/fp32.pt" "$MODELS/dfine_s/fp16.pt" "$MODELS"/mobilesam_fp32/{encoder,decoder}.pt && REUSED=1
[ -n "${REUSED:-}" ] && echo "== TorchScript exports reused from an earlier call"
[ -z "${REUSED:-}" ] && step dfine_fp32 150 python3 scripts/export_dfine.py --repo "$DFINE_REPO" --size s \
  --out "$MODELS/dfine_s/fp32.pt" --precision fp32 ${EXPORT_FLAGS:-}
# The traced graph keeps D-FINE's dtype casts, so the fp16 pipeline needs its own fp16 export.
[ -z "${REUSED:-}" ] && step dfine_fp16 100 python3 scripts/export_dfine.py --repo "$DFINE_REPO" --size s \
  --out "$MODELS/dfine_s/fp16.pt" --precision fp16 --no-checks
# 2. MobileSAM encoder + box decoder, fp32, random weights (no --checkpoint).
[ -z "${REUSED:-}" ] && step mobilesam_fp32 120 python3 scripts/export_mobilesam.py --repo "$MOBILESAM_REPO" \
  --out-dir "$MODELS/mobilesam_fp32" --precision fp32 ${EXPORT_FLAGS:-}
collect "$MODELS/dfine_s/fp32.pt" "$MODELS/dfine_s/fp16.pt" \
  "$MODELS/mobilesam_fp32/encoder.pt" "$MODELS/mobilesam_fp32/decoder.pt" | tee "$OUT/models.log"
# A decoder that fails the any-N check is a wrong export even though the script exits 0.
if grep -q "decoder accepts any N: False" "$OUT/mobilesam_fp32.log" 2>/dev/null; then FAILED+=("mobilesam_fp32(any-N check)"); fi

# 2b. The C++ pipeline on the exports: the bundled recording, back to back, fp32 then fp16.
if [ "$RUN_CXX" = 1 ]; then
  wait "$BUILD_PID" && echo "== cxx_build: ok in $(($(date +%s) - START)) s" || FAILED+=("cxx_build")
  tail -n 3 "$OUT/cxx_build.log"
  # The model loader's checks in this LibTorch (TorchScript and AOTInductor files).
  step cxx_test_models 60 bash -c "source .gpu/device-env.sh >/dev/null && build-gpu/tests/models/test_models"
  # GPU_TESTS=1: the whole build, and the ctest label gpu (test_pipeline_cuda, test_copies_cuda, ...).
  if [ "${GPU_TESTS:-0}" = 1 ]; then
    step cxx_gpu_tests 150 bash -c "source .gpu/device-env.sh >/dev/null && ctest --test-dir build-gpu -L gpu \
      --output-on-failure"
  fi
  # Copies are counted where the build found CUPTI (linked into the benchmark).
  COUNT=""
  ldd build-gpu/apps/igtbridge-bench 2>/dev/null | grep -q libcupti && COUNT="--count-copies 20"
  # CXX_FP32=0 leaves out the fp32 runs (with and without graphs): fp16 only.
  PRECISIONS="fp32 fp16"
  [ "${CXX_FP32:-1}" = 1 ] || PRECISIONS=fp16
  for p in $PRECISIONS; do
    step "cxx_$p" 90 bash -c "source .gpu/device-env.sh >/dev/null && build-gpu/apps/igtbridge-bench pipeline \
      --frames $FRAMES --set models.device=cuda --set models.precision=$p --set models.detector=$MODELS/dfine_s/$p.pt \
      --set models.encoder=$MODELS/mobilesam_fp32/encoder.pt --set models.decoder=$MODELS/mobilesam_fp32/decoder.pt \
      $COUNT --json $OUT/cxx_$p.json"
  done
  # The fp16 pipeline on the AOTInductor packages (each role falls back to its TorchScript export
  # where its package failed, and the log says which file ran), then live with the sockets on them:
  # replay at 100 frames/s -> igtbridge -> listen (scripts/gpu_live.sh).
  if [ "${AOTI:-0}" = 1 ]; then
    [ -n "$AOTI_PID" ] && wait "$AOTI_PID"
    grep -q "^== aoti_fp16: rc=0 " "$OUT/aoti_fp16.log" || FAILED+=("aoti_fp16")
    pick() { [ -f "$MODELS/aoti_fp16/$1.pt2" ] && echo "$MODELS/aoti_fp16/$1.pt2" || echo "$2"; }
    AOTI_DET=$(pick detector "$MODELS/dfine_s/fp16.pt")
    AOTI_ENC=$(pick encoder "$MODELS/mobilesam_fp32/encoder.pt")
    AOTI_DEC=$(pick decoder "$MODELS/mobilesam_fp32/decoder.pt")
    AOTI_SET="--set models.precision=fp16 --set models.detector=$AOTI_DET --set models.encoder=$AOTI_ENC \
      --set models.decoder=$AOTI_DEC"
    # With the references (REFS=1), igtbridge-bench gpu at the end runs this pipeline back to back and live
    # beside them; without, here.
    if [ "${REFS:-1}" != 1 ]; then
      step cxx_aoti_fp16 90 bash -c "source .gpu/device-env.sh >/dev/null && build-gpu/apps/igtbridge-bench \
        pipeline --frames $FRAMES --set models.device=cuda $AOTI_SET $COUNT --json $OUT/cxx_aoti_fp16.json"
    fi
    # GPU memory with LibTorch's cache kept after the capture (pipeline.release_cached_memory=false).
    step cxx_aoti_fp16_keep_cache 90 bash -c "source .gpu/device-env.sh >/dev/null && build-gpu/apps/igtbridge-bench \
      pipeline --frames $FRAMES --set models.device=cuda $AOTI_SET --set pipeline.release_cached_memory=false \
      --json $OUT/cxx_aoti_fp16_keep_cache.json"
    # The same with the encoder after the detector instead of beside it (pipeline.overlap_encoder).
    step cxx_aoti_fp16_serial 90 bash -c "source .gpu/device-env.sh >/dev/null && build-gpu/apps/igtbridge-bench \
      pipeline --frames $FRAMES --set models.device=cuda $AOTI_SET --set pipeline.overlap_encoder=false \
      --json $OUT/cxx_aoti_fp16_serial.json"
    [ "${REFS:-1}" != 1 ] && step live_aoti_fp16 90 env FPS=100 FRAMES=1000 bash -c \
      "source .gpu/device-env.sh >/dev/null && bash scripts/gpu_live.sh $OUT/live $AOTI_SET"
  fi
  # Parity (PARITY=1, default on): a short live run that saves every frame, with the detection thresholds at 0
  # and the visibility ones at 1e-6, so that the random weights' top-k candidates become tracks, VISIBLE (and
  # segmented) in the frames that match them; then scripts/parity.py against PyTorch (the fp32 TorchScript
  # files, in Python): boxes within 0.5 px, mask IoU >= 0.995 fp32 / 0.98 fp16.
  if [ "${PARITY:-1}" = 1 ]; then
    ZERO="--set detect.score_threshold=0 --set match.min_new_score=0 --set visibility.theta_off=0.000001 --set visibility.theta_on=0.000001"
    TS_DET=$MODELS/dfine_s/fp32.pt TS_ENC=$MODELS/mobilesam_fp32/encoder.pt TS_DEC=$MODELS/mobilesam_fp32/decoder.pt
    # PARITY_REF (default fp32): the eager side's precision for the AOTInductor fp16 run; fp16 compares the C++
    # fp16 pipeline with PyTorch's own fp16 on the same modules (the detector then from its fp16 export: the
    # traced graph keeps its dtype casts).
    # A fp16 run against eager fp32 also runs eager fp16 on the same boxes (--floor-precision): PyTorch's own
    # fp16 loss, and the C++ label maps against eager fp16.
    parity_run() {  # name precision detector encoder decoder [eager precision [extra --set ...]]
      local ref=${6:-fp32} ref_det=$TS_DET floor=""
      [ "$ref" = fp32 ] || ref_det=$MODELS/dfine_s/$ref.pt
      [ "$ref" = fp32 ] && [ "$2" != fp32 ] && floor="--floor-precision $2"
      rm -rf "/tmp/igtb-parity-$1" "/tmp/igtb-parity-$1-live"  # a warm machine keeps the last call's frames
      step "$1" 120 bash -c "source .gpu/device-env.sh >/dev/null && \
        SAVE_DIR=/tmp/igtb-parity-$1 FPS=20 FRAMES=40 PORT=28954 bash scripts/gpu_live.sh /tmp/igtb-parity-$1-live \
          --set models.precision=$2 --set models.detector=$3 --set models.encoder=$4 --set models.decoder=$5 $ZERO \
          ${7:-} && \
        python3 scripts/parity.py --saved /tmp/igtb-parity-$1 --kpi /tmp/igtb-parity-$1-live/kpi.jsonl \
          --detector $ref_det --encoder $TS_ENC --decoder $TS_DEC \
          --cxx-precision $2 --ref-precision $ref $floor --json $OUT/$1.json"
    }
    # PARITY_TS=0 leaves out the TorchScript fp32 run.
    [ "${PARITY_TS:-1}" = 1 ] && parity_run parity_ts_fp32 fp32 "$TS_DET" "$TS_ENC" "$TS_DEC"
    if [ "${AOTI:-0}" = 1 ]; then
      parity_run parity_aoti_fp16 fp16 "$AOTI_DET" "$AOTI_ENC" "$AOTI_DEC" "${PARITY_REF:-fp32}"
      # PARITY_KEEP=1: the same with LibTorch's cache kept after the capture (pipeline.release_cached_memory).
      [ "${PARITY_KEEP:-0}" = 1 ] && parity_run parity_aoti_fp16_keep fp16 "$AOTI_DET" "$AOTI_ENC" "$AOTI_DEC" \
        "${PARITY_REF:-fp32}" "--set pipeline.release_cached_memory=false"
    fi
  fi
  # The same fp32 run without CUDA graphs: what capture and replay are worth on these models.
  [ "${CXX_FP32:-1}" = 1 ] && step cxx_fp32_eager 90 bash -c "source .gpu/device-env.sh >/dev/null && build-gpu/apps/igtbridge-bench pipeline \
    --frames $FRAMES --set models.device=cuda --set models.precision=fp32 --set pipeline.cuda_graph=false \
    --set models.detector=$MODELS/dfine_s/fp32.pt --set models.encoder=$MODELS/mobilesam_fp32/encoder.pt \
    --set models.decoder=$MODELS/mobilesam_fp32/decoder.pt --json $OUT/cxx_fp32_eager.json"
fi

# 3. The Python reference (in-process upstream modules; compile needs them), same recording.
REF=(python3 scripts/reference_pipeline.py --dfine-repo "$DFINE_REPO" --dfine-size s --mobilesam-repo "$MOBILESAM_REPO")
# REFS=0 leaves them out (a call that only checks the C++ side).
if [ "${REFS:-1}" = 1 ] && [ "$RUN_CXX" = 1 ] && [ "${AOTI:-0}" = 1 ]; then
  # The side-by-side in one command: the fp16 AOTInductor pipeline back to back (copies counted) and live
  # with its sockets (replay at 100 frames/s, 1000 frames), then the references as its child processes.
  step gpu_bench 420 bash -c "source .gpu/device-env.sh >/dev/null && build-gpu/apps/igtbridge-bench gpu \
    --file $REC --frames $FRAMES $AOTI_SET $COUNT --live-fps 100 --live-frames 1000 \
    --reference '${REF[*]}' --reference-runs eager:fp32,compile:fp16 --reference-timeout 240 \
    --work-dir $OUT/ref --json $OUT/cxx_gpu_bench.json"
elif [ "${REFS:-1}" = 1 ]; then
  step ref_eager_fp32 90 "${REF[@]}" --recording "$REC" --frames "$FRAMES" --mode eager --precision fp32 \
    --json "$OUT/ref/eager_fp32.json"
  step ref_compile_fp16 300 "${REF[@]}" --recording "$REC" --frames "$FRAMES" --mode compile --precision fp16 \
    --json "$OUT/ref/compile_fp16.json"
fi

# 4. Side by side, from the JSON files of this call.
CMP=()
for f in "$OUT"/cxx_*.json; do [ -s "$f" ] && CMP+=(--cxx "$f"); done
for f in "$OUT"/ref/*.json; do [ -s "$f" ] && CMP+=(--ref "$f"); done
# (compare_bench.py needs a reference run: none with REFS=0.)
[[ " ${CMP[*]} " == *" --ref "* ]] && step compare 30 python3 scripts/compare_bench.py "${CMP[@]}" --out "$OUT/compare.json"

set +x
{
  cat "$OUT/env.log"
  for f in dfine_fp32 dfine_fp16 mobilesam_fp32 aoti_fp16 cxx_test_models cxx_gpu_tests cxx_fp32 cxx_fp16 cxx_aoti_fp16 cxx_aoti_fp16_keep_cache cxx_aoti_fp16_serial live_aoti_fp16 parity_ts_fp32 parity_aoti_fp16 parity_aoti_fp16_keep cxx_fp32_eager ref_eager_fp32 ref_compile_fp16 gpu_bench compare; do
    [ -f "$OUT/$f.log" ] || continue  # not run in this call
    echo "---- $f"
    grep -E "RANDOM|FAILED|WRONG|Error|error|wrote|parity|copies|export_aoti\]|^live|^parity:|ms/forward|accepts any N|\[reference\].*p50|^== |^  [a-z0-9]+ +[0-9.]+ |sustained|benchmark:|copies per frame|cuda graphs|speed-up|^C\+\+ |^Python |^run |^  (C\+\+|Python|run|live)" \
      "$OUT/$f.log" 2>/dev/null | cut -c1-400
    grep -q "^== $f: rc=0 " "$OUT/$f.log" 2>/dev/null || { echo "  (failed: last lines)"; tail -n 8 "$OUT/$f.log" | cut -c1-400; }
  done
  echo "---- models"; cat "$OUT/models.log"
  echo "total $(($(date +%s) - START)) s; failed: ${FAILED[*]:-none}"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
[ "${#FAILED[@]}" -eq 0 ]
