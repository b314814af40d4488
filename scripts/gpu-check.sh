#!/usr/bin/env bash
# gpu-check: one command that checks acoer-bench on a GPU machine and writes one report.
#
#   scripts/gpu-check.sh [--out DIR] [--budget SECONDS] [--bin DIR] [--cpu-smoke] [--skip-tests]
#   make gpu-check                      # the same, after building the binaries
#
# Steps (each under its own timeout, all inside --budget, every step's output kept in the report):
#   env        the machine: GPU (nvidia-smi), driver, LD_LIBRARY_PATH, CUDA_VISIBLE_DEVICES, versions
#   build      bin/acoer-bench and the test binaries of ./runner and ./cmd/acoer-bench (needs Go; a
#              prebuilt bin/ is used as it is when Go is absent)
#   doctor     acoer-bench doctor: libraries, driver, devices, the CUDA self-test (CPU vs CUDA logits)
#   tests      the CUDA tests: the device-bound KV cache against the CPU within the fp16 tolerance,
#              greedy tokens of a float32 model equal to the CPU's, the fp32 GroupQueryAttention
#              warning, a kill -9 / resume run on CUDA against an uninterrupted one, perf figures
#   models     seeded medium and large models (build-model presets, float16 KV cache)
#   perf       acoer-bench perf at batch 1/8/32 on both models; the large one also at batch 16 with a
#              4k-token context, and with the Go-buffer (host) cache for comparison
# The report (DIR/report.md) is written however the script ends: a failed or timed-out step is marked
# and the next steps still run; exit status 1 when any step failed, 0 otherwise.
#
# --cpu-smoke runs the same steps on the CPU with tiny models and small sizes (a minute on 2 cores): it
# checks the script and every command it runs, not a GPU. The CUDA tests then skip (no device).
#
# --bin DIR holds (or receives, when Go is there to build them) acoer-bench and the test binaries
# (default bin/). Nothing is downloaded: run `make setup-cuda` first (and make the CUDA 13 libraries findable: see
# scripts/cuda-ld-path.sh, which this script applies when they are not found). Pick the GPU with
# CUDA_VISIBLE_DEVICES.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

out="results/gpu-check"
budget=460
smoke=""
skip_tests=""
bindir="$here/bin"
while (( $# > 0 )); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --bin) bindir="$2"; shift 2 ;;
    --cpu-smoke) smoke=1; shift ;;
    --skip-tests) skip_tests=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "gpu-check: --budget wants whole seconds, got $budget" >&2; exit 2; }

mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
report="$out/report.md"
start=$(date +%s)
steps=()      # "name|status|seconds|log"
failed=0

# write_report runs on every exit: a report even after a failure, a timeout or Ctrl-C.
write_report() {
  local rc=$?
  {
    echo "# acoer-bench gpu-check"
    echo
    echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(hostname); total: $(( $(date +%s) - start )) s of a ${budget} s budget"
    echo "- revision: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo -dirty)"
    if [[ -n "$smoke" ]]; then echo "- mode: CPU smoke (tiny models, provider cpu: no GPU figures)"; else echo "- mode: GPU (provider cuda)"; fi
    echo "- CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-<unset>}"
    echo
    echo "| step | status | seconds |"
    echo "|---|---|---|"
    local s
    for s in "${steps[@]}"; do
      IFS='|' read -r name status secs log <<<"$s"
      echo "| $name | $status | $secs |"
    done
    for s in "${steps[@]}"; do
      IFS='|' read -r name status secs log <<<"$s"
      echo
      echo "## $name: $status (${secs} s)"
      echo
      echo '```'
      if [[ -f "$log" ]]; then
        local n
        n=$(wc -l <"$log")
        if (( n > 400 )); then
          head -n 150 "$log"; echo "... ($(( n - 300 )) lines left out; the whole log: $log) ..."; tail -n 150 "$log"
        else
          cat "$log"
        fi
      fi
      echo '```'
    done
  } >"$report.tmp" && mv "$report.tmp" "$report"
  echo "gpu-check: report: $report" >&2
  if (( rc == 0 && failed > 0 )); then rc=1; fi
  exit "$rc"
}
trap write_report EXIT
trap 'exit 130' INT TERM

# step NAME TIMEOUT CMD...: runs CMD with its output in logs/NAME.log, under min(TIMEOUT, what is left
# of the budget); a failure or a timeout is recorded, not fatal.
step() {
  local name="$1" limit="$2"
  shift 2
  local log="$out/logs/$name.log"
  local left=$(( budget - ($(date +%s) - start) ))
  if (( left < 10 )); then
    echo "not run: the ${budget} s budget is spent" >"$log"
    steps+=("$name|SKIPPED (budget)|0|$log"); failed=$((failed + 1)); return 0
  fi
  (( limit > left )) && limit=$left
  echo "gpu-check: $name (at most ${limit} s)" >&2
  local t0 rc=0
  t0=$(date +%s)
  { echo "\$ $*"; echo; } >"$log"
  if declare -F "$1" >/dev/null; then # a function of this script: run it in a bash of its own
    export -f "$1"
    timeout --kill-after=10 "$limit" bash -ec '"$@"' bash "$@" >>"$log" 2>&1 || rc=$?
  else
    timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1 || rc=$?
  fi
  local secs=$(( $(date +%s) - t0 ))
  case "$rc" in
    0) steps+=("$name|ok|$secs|$log") ;;
    124|137) steps+=("$name|TIMED OUT after ${limit} s|$secs|$log"); failed=$((failed + 1)) ;;
    *) steps+=("$name|FAILED (exit $rc)|$secs|$log"); failed=$((failed + 1)) ;;
  esac
  return 0
}

# skip NAME WHY records a step that cannot run.
skip() {
  local log="$out/logs/$1.log"
  echo "$2" >"$log"
  steps+=("$1|SKIPPED: $2|0|$log")
}

# The CUDA libraries: when the loader does not find them, try the usual places.
if [[ -z "$smoke" ]] && ! ldconfig -p 2>/dev/null | grep -q 'libcublasLt.so.13 '; then
  if ld=$(scripts/cuda-ld-path.sh 2>/dev/null); then export LD_LIBRARY_PATH="$ld"; fi
fi

env_info() {
  echo "uname: $(uname -a)"
  echo "nproc: $(nproc); memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-<unset>}"
  echo "go: $(command -v go >/dev/null && go version || echo 'not installed')"
  echo "driver: $(cat /proc/driver/nvidia/version 2>/dev/null | head -n 1 || true)"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap,pci.bus_id --format=csv || true
  else
    echo "nvidia-smi: not installed"
  fi
  ls -l .deps/onnxruntime-*/lib/ 2>/dev/null || echo "no .deps/onnxruntime-*/lib: run make setup-cuda"
}
step env 30 env_info

mkdir -p "$bindir"
bindir=$(cd "$bindir" && pwd)
export bin="$bindir/acoer-bench"
export tbin="$bindir"
if command -v go >/dev/null; then
  build() {
    go build -trimpath -ldflags "-X main.gitRevision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" -o "$bin" ./cmd/acoer-bench
    go test -c -o "$tbin/runner.test" ./runner
    go test -c -o "$tbin/cmd.test" ./cmd/acoer-bench
  }
  step build 300 build
elif [[ -x "$bin" && -x "$tbin/runner.test" && -x "$tbin/cmd.test" ]]; then
  skip build "no Go toolchain: using the prebuilt $bin, $tbin/runner.test and $tbin/cmd.test"
else
  skip build "no Go toolchain and no prebuilt binaries in $tbin (build them elsewhere with make gpu-check-bins)"
fi

if [[ ! -x "$bin" ]]; then
  skip doctor "no $bin"
else
  step doctor 180 "$bin" doctor
  "$bin" doctor --json >"$out/doctor.json" 2>/dev/null || true
fi

if [[ -n "$skip_tests" ]]; then
  skip tests "--skip-tests"
elif [[ -x "$tbin/runner.test" && -x "$tbin/cmd.test" ]]; then
  cuda_tests() {
    local rc=0
    (cd runner && "$tbin/runner.test" -test.run 'CUDA|Placement|SelfTest' -test.v -test.count=1) || rc=1
    (cd cmd/acoer-bench && "$tbin/cmd.test" -test.run '^TestCUDA' -test.v -test.count=1) || rc=1
    return "$rc"
  }
  step tests 300 cuda_tests
else
  skip tests "no test binaries"
fi

export models="$out/models"
if [[ -n "$smoke" ]]; then
  provider=cpu; presets=(tiny small); batches=1,2; prompts=16,64; gen=16; repeat=1; long_prompt=192; long_batch=2
else
  provider=cuda; presets=(medium large); batches=1,8,32; prompts=128,1024; gen=128; repeat=3; long_prompt=3968; long_batch=16
fi
build_models() { # PRESET...
  local p
  for p in "$@"; do
    if [[ -f "$models/$p/model.onnx" ]]; then echo "$models/$p: already built"; continue; fi
    "$bin" build-model --out "$models/$p" --seed 1 --preset "$p" --kv-float16 --force
  done
}
if [[ -x "$bin" ]]; then
  step models 240 build_models "${presets[@]}"
  for p in "${presets[@]}"; do
    [[ -f "$models/$p/model.onnx" ]] || { skip "perf-$p" "no model"; continue; }
    step "perf-$p" 150 "$bin" perf --model "$models/$p" --provider "$provider" --batch "$batches" \
      --prompt-tokens "$prompts" --gen-tokens "$gen" --repeat "$repeat" --warmup 1 --no-bandwidth --format md
  done
  big="${presets[-1]}"
  if [[ -f "$models/$big/model.onnx" ]]; then
    step "perf-$big-long-context" 150 "$bin" perf --model "$models/$big" --provider "$provider" --batch "$long_batch" \
      --prompt-tokens 128 --decode-prompt-tokens "$long_prompt" --gen-tokens "$gen" --repeat 1 --warmup 1 --no-bandwidth --format md
    step "perf-$big-host-kv" 120 "$bin" perf --model "$models/$big" --provider "$provider" --batch 8 \
      --prompt-tokens 128 --gen-tokens "$gen" --repeat 1 --warmup 1 --no-bandwidth --kv-cache host --format md
  fi
fi
