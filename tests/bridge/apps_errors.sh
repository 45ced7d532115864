#!/usr/bin/env bash
# igtbridge refuses what it cannot serve with one clear line and exit code 2,
# before any socket opens: a missing or wrong model, an unwritable KPI path or
# recording directory, a bad config value.
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

expect() {  # expect NAME CODE PATTERN -- ARGS...
  local name=$1 code=$2 pattern=$3
  shift 4
  local rc=0
  # Every case ends by itself; one that serves instead (a bug, or a port that was free after all)
  # is stopped after 60 s and fails here, not as the whole test's timeout.
  timeout -k 10 60 "$bin/igtbridge" --config "$src/config/igtbridge.yaml" --set output.port=$((20000 + RANDOM % 40000)) "$@" \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = 124 ]; then
    echo "FAIL $name: still running after 60 s (stopped)"; cat "$tmp/err"; fails=$((fails + 1)); return
  fi
  if [ "$rc" != "$code" ]; then
    echo "FAIL $name: exit $rc, expected $code"; cat "$tmp/err"; fails=$((fails + 1)); return
  fi
  if ! grep -q -- "$pattern" "$tmp/err" "$tmp/out"; then
    echo "FAIL $name: no '$pattern' in the output"; cat "$tmp/err"; fails=$((fails + 1)); return
  fi
  if grep -q "serving on" "$tmp/err"; then
    echo "FAIL $name: a socket was opened before the error"; fails=$((fails + 1)); return
  fi
  if [ "$code" != 0 ] && [ "$(grep -c ' error: ' "$tmp/err")" != 1 ]; then
    echo "FAIL $name: expected exactly one error line"; cat "$tmp/err"; fails=$((fails + 1)); return
  fi
  echo "ok   $name: exit $rc, $(grep -h -- "$pattern" "$tmp/err" "$tmp/out" | head -1)"
}

echo "not a model" >"$tmp/garbage.pt"
expect "missing detector" 2 "models.*/nonexistent/detector.pt: detector model file not found" -- --set models.detector=/nonexistent/detector.pt
expect "garbage encoder" 2 "garbage.pt: not a TorchScript module" -- --set models.encoder="$tmp/garbage.pt"
expect "cuda without a GPU or bad device" 2 "models" -- --set models.device=cuda:7
expect "unwritable KPI path" 2 "kpi.path: cannot open '/nonexistent/dir/kpi.jsonl'" -- --set kpi.path=/nonexistent/dir/kpi.jsonl
expect "record dir under a file" 2 "record.dir: cannot create directory '$tmp/garbage.pt/rec'" -- --record "$tmp/garbage.pt/rec"
expect "record without the pipeline" 2 "record.dir needs pipeline.enabled: true" -- --record "$tmp/rec" --set pipeline.enabled=false
expect "bad threshold" 2 "detect.score_threshold: expected a number 0..1" -- --set detect.score_threshold=2
expect "check-config passes with the pipeline on" 0 "configuration OK" -- --check-config
expect "two IMAGE devices: output names too long" 2 "is too long for 2 IMAGE devices" -- \
  --set input.image_devices=ProbeA,ProbeB --set output.mask_device=ABCDEFGHIJKLMNOPQRS
expect "two IMAGE devices: one pipeline each" 0 "for ProbeB (pipeline 2 of 2)" -- --check-config \
  --set input.image_devices=ProbeA,ProbeB
expect "stream devices: one for two IMAGE devices" 2 "models.stream_devices lists 1 device(s) for 2" -- \
  --set input.image_devices=ProbeA,ProbeB --set models.stream_devices=cpu
expect "stream devices: a GPU that is not there" 2 "models: device 'cuda:7'" -- \
  --set input.image_devices=ProbeA,ProbeB --set models.stream_devices=cpu,cuda:7

# --check-config checks what the run would refuse once started: paths and ports.
expect "check-config: KPI directory missing" 2 "kpi.path: cannot write the KPI file: directory '/nonexistent/dir'" -- \
  --check-config --set kpi.path=/nonexistent/dir/kpi.jsonl
expect "check-config: record.dir under a file" 2 "record.dir: cannot record there: '$tmp/garbage.pt'" -- \
  --check-config --record "$tmp/garbage.pt/rec"
busy=$((20000 + RANDOM % 40000))
# The port stays taken until the two cases are done (killed below): under ASan on a busy
# machine one start of igtbridge can take longer than any fixed sleep.
python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',$busy)); s.listen(); sys.stdout.write('up\n'); sys.stdout.flush(); time.sleep(3600)" >"$tmp/busy" &
busy_pid=$!
trap 'kill "$busy_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT  # || true: under set -e a failed kill would end the trap
for _ in $(seq 300); do grep -q up "$tmp/busy" 2>/dev/null && break; sleep 0.1; done
grep -q up "$tmp/busy" || { echo "FAIL could not take a port for the port-in-use cases"; exit 1; }
expect "check-config: output.port in use" 2 "output.port $busy: cannot bind 127.0.0.1:$busy.*--set output.port=PORT" -- \
  --check-config --set output.port=$busy
expect "run: output.port in use names the key" 3 "output.port $busy: cannot bind" -- --set output.port=$busy
kill "$busy_pid" 2>/dev/null || true
# Relative paths in a config file are the file's, and the error says where it looked.
mkdir -p "$tmp/conf"
printf 'models:\n  detector: missing/detector.pt\n' >"$tmp/conf/igtbridge.yaml"
rc=0
(cd / && "$bin/igtbridge" --config "$tmp/conf/igtbridge.yaml" --check-config) >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "$tmp/conf/missing/detector.pt: detector model file not found" "$tmp/err"; then
  echo "ok   relative model path from a config file: $(grep ' error: ' "$tmp/err")"
else
  echo "FAIL relative model path from a config file: exit $rc"; cat "$tmp/err"; fails=$((fails + 1))
fi
rc=0
(cd "$tmp" && "$bin/igtbridge" --check-config --set models.detector=nope.pt) >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "nope.pt: detector model file not found (looked for $tmp/nope.pt)" "$tmp/err"; then
  echo "ok   relative model path from --set: $(grep ' error: ' "$tmp/err")"
else
  echo "FAIL relative model path from --set: exit $rc"; cat "$tmp/err"; fails=$((fails + 1))
fi

# Command-line conventions of every program: --version, --log-level, usage errors exit 2 with the --help hint.
for prog in igtbridge igtbridge-replay igtbridge-listen igtbridge-bench igtbridge-models; do
  rc=0
  "$bin/$prog" --version >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = 0 ] && grep -q "^$prog [0-9].*(git " "$tmp/out"; then
    echo "ok   $prog --version: $(head -1 "$tmp/out")"
  else
    echo "FAIL $prog --version: exit $rc"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1))
  fi
  rc=0
  "$bin/$prog" --no-such-option >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = 2 ] && grep -q "^$prog: " "$tmp/err" && grep -q "Run with --help" "$tmp/err"; then
    echo "ok   $prog usage error: exit 2, $(head -1 "$tmp/err")"
  else
    echo "FAIL $prog usage error: exit $rc"; cat "$tmp/err"; fails=$((fails + 1))
  fi
  rc=0
  "$bin/$prog" --help >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = 0 ] && grep -q -- "--log-level" "$tmp/out" && grep -q "Exit codes: 0 success; 2 usage" "$tmp/out"; then
    echo "ok   $prog --help: --log-level and the exit codes"
  else
    echo "FAIL $prog --help: exit $rc"; cat "$tmp/out"; fails=$((fails + 1))
  fi
done
expect "igtbridge --log-level" 0 "configuration OK" -- --check-config --log-level debug

# Without --config: /etc/igtbridge/igtbridge.yaml where it exists (as root on a machine without one:
# made for the test and removed), else the built-in defaults; the log says which.
rc=0
"$bin/igtbridge" --check-config --set output.port=$((20000 + RANDOM % 40000)) >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ ! -e /etc/igtbridge ]; then
  if [ "$rc" = 0 ] && grep -q "configuration: built-in defaults" "$tmp/err"; then
    echo "ok   no --config, no /etc/igtbridge: built-in defaults, said so"
  else
    echo "FAIL no --config: exit $rc"; cat "$tmp/err"; fails=$((fails + 1))
  fi
  if [ "$(id -u)" = 0 ]; then
    mkdir -p /etc/igtbridge
    trap 'rm -rf "$tmp" /etc/igtbridge' EXIT
    printf 'output:\n  port: 18977\n' >/etc/igtbridge/igtbridge.yaml
    rc=0
    "$bin/igtbridge" --print-config >"$tmp/out" 2>"$tmp/err" || rc=$?
    "$bin/igtbridge" --check-config --set output.port=$((20000 + RANDOM % 40000)) >/dev/null 2>"$tmp/err2" || rc=$?
    rm -rf /etc/igtbridge
    if [ "$rc" = 0 ] && grep -q "port: 18977" "$tmp/out" && grep -q "configuration: /etc/igtbridge/igtbridge.yaml" "$tmp/err2"; then
      echo "ok   no --config: /etc/igtbridge/igtbridge.yaml taken, said so"
    else
      echo "FAIL no --config with /etc/igtbridge/igtbridge.yaml: exit $rc"; cat "$tmp/out" "$tmp/err2"; fails=$((fails + 1))
    fi
  fi
fi

# The benchmark: what it cannot do here is one error line, exit 2, before any frame runs.
bench_expect() {  # name, error text, result heading that must not be printed, args...
  local name=$1 text=$2 heading=$3 rc=0
  shift 3
  "$bin/igtbridge-bench" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = 2 ] && [ "$(grep -c ' error: ' "$tmp/err")" = 1 ] && grep -q "$text" "$tmp/err" &&
    ! grep -q "$heading" "$tmp/out"; then
    echo "ok   bench $name: exit 2, $(grep -h ' error: ' "$tmp/err")"
  else
    echo "FAIL bench $name: exit $rc"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1))
  fi
}
bench_expect "pipeline --count-copies on the CPU" "counting copies needs" "pipeline benchmark:" pipeline --frames 5 \
  --count-copies 5
# The mode flags of old are the subcommands still.
bench_expect "--pipeline --count-copies on the CPU" "counting copies needs" "pipeline benchmark:" --frames 5 --pipeline \
  --count-copies 5
bench_expect "pipeline --streams with --count-copies" "goes without --count-copies" "streams benchmark:" pipeline \
  --streams 2 --count-copies 5
rc=0
"$bin/igtbridge-bench" --pipeline --gpu >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "pass exactly one of transport, pipeline, contours or gpu" "$tmp/err"; then
  echo "ok   bench --pipeline --gpu: exit 2, $(cat "$tmp/err")"
else
  echo "FAIL bench --pipeline --gpu: exit $rc"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1))
fi
# gpu puts the models on CUDA; this build or machine has none (CI never has a GPU).
if ! nvidia-smi >/dev/null 2>&1; then
  bench_expect "gpu without CUDA" "no CUDA device" "GPU benchmark:" gpu --frames 5 --json "$tmp/gpu.json"
  if [ -e "$tmp/gpu.json" ] || [ -e "$tmp/gpu.json.partial" ]; then
    echo "FAIL bench gpu without CUDA left a JSON file"; fails=$((fails + 1))
  else
    echo "ok   bench gpu without CUDA: no JSON file left"
  fi
fi
bench_expect "gpu with a reference that cannot run" "cannot run 'igtb-no-such-python'" "GPU benchmark:" gpu \
  --set models.device=cpu --frames 5 --reference "igtb-no-such-python scripts/reference_pipeline.py"
bench_expect "gpu with a bad reference run" "reference run 'eager:fp8'" "GPU benchmark:" gpu \
  --set models.device=cpu --frames 5 --reference-runs eager:fp8
[ "$fails" = 0 ] && echo "apps_errors: all passed" || { echo "apps_errors: $fails failed"; exit 1; }
