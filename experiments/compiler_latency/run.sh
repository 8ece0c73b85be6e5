#!/usr/bin/env bash
# Study: speed of the models that nas compiles, against ONNX Runtime and oneDNN on the same
# ONNX files, and against the machine's fp32 FMA peak.
#
#   bash experiments/compiler_latency/run.sh [models|layers|compile|torchvision|summary|all]
#
# models   batch-1 latency, `nas bench --threads N` against ONNX Runtime (ort_bench.py, same
#          file, same threads) at THREADS, in ROUNDS rounds that alternate which of the two
#          goes first; once per model and thread count also the reference executor
#          (`nas bench --reference`). Models: the small Fashion-MNIST CNN, SAMPLES
#          architectures drawn from each shipped space (configs/spaces/*.yaml, seed SEED),
#          ResNet-18 and MobileNetV2 at 224x224 (make_models.py, random weights).
# layers   single convolution layers (make_models.py LAYERS): ours, ONNX Runtime and oneDNN
#          (onednn_conv.cc), alternated the same way; the FMA peak (fma_peak.cc) before and
#          after, at each thread count. "ours" is `nas bench` of the single-layer ONNX file,
#          whose NCHW input and output keep the kernel NCHW; "ours16c" is the same layer's
#          kernel with input and output stored NCHW16c, as inside a network (layer_kernels.cc,
#          the cmake target layer_kernels, built here when missing).
# compile  compile time of COMPILE_SAMPLES architectures of each shipped space (and of the
#          other models), each in a fresh process: the JIT path of a search candidate
#          (`nas bench --json` compile_seconds) and `nas compile --target host -o` (object file).
# torchvision  torchvision's classification models as a user exports them (make_torchvision.py,
#          random weights, opset 17, batch 1): each first run through `nas run` against
#          ONNX Runtime (experiments/vector_math/agree.py: max abs error / output scale,
#          <= 1e-4), then `nas bench --no-calibrate --serve` (measured times, as ONNX Runtime's)
#          against ONNX Runtime at THREADS in PAIRS short alternated measurements, both kept
#          loaded (interleaved_bench.py: the VM's speed drifts faster than a process per
#          round can follow), the FMA peak before and after, and each model's kernel profile
#          at 1 thread (kernel_profile).
#          TV_MODELS picks some (make_torchvision.py --list names them all); summarised into
#          torchvision.md by summarize_torchvision.py. Needs torchvision beside torch.
# summary  writes results.md next to this script from the records in $OUT.
# (Not a step: build/kernel_profile MODEL.onnx [--threads N] [--layout blocked|nchw] times
# each kernel of a model alone, the profile used to tune the default schedules.)
# Every step overwrites its own records, so a step can be rerun alone; the ONNX files that
# PyTorch makes are written once (delete $OUT/models to remake them).
#
# Environment: NAS (the nas binary, default build/nas), LAYER_KERNELS (default
# build/layer_kernels), OUT, THREADS ("1 2"), ROUNDS (3), PAIRS (20, torchvision),
# MODELS (names of the latency table to measure, e.g. "resnet18"; default all),
# SAMPLES (5), COMPILE_SAMPLES (20), SEED (1), REFERENCE (1; 0 skips the reference
# executor), TIMEOUT (seconds per measurement, 1200). Python: VENV (default build/bench-venv,
# made from requirements.txt when it lacks a package), or TORCH_PYTHON (torch, onnx) and
# ORT_PYTHON (onnxruntime, numpy) to use existing interpreters. oneDNN: libdnnl-dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/compiler_latency}
nas=${NAS:-$root/build/nas}
layer_kernels=${LAYER_KERNELS:-$root/build/layer_kernels}
THREADS=${THREADS:-"1 2"}
ROUNDS=${ROUNDS:-3}
PAIRS=${PAIRS:-20}
SAMPLES=${SAMPLES:-5}
COMPILE_SAMPLES=${COMPILE_SAMPLES:-20}
SEED=${SEED:-1}
REFERENCE=${REFERENCE:-1}
TIMEOUT=${TIMEOUT:-1200}
VENV=${VENV:-$root/build/bench-venv}
TORCH_PYTHON=${TORCH_PYTHON:-$VENV/bin/python}
ORT_PYTHON=${ORT_PYTHON:-$VENV/bin/python}
models_dir=$OUT/models
mkdir -p "$OUT"

has_modules() { [ -x "$1" ] && "$1" -c "import $2" 2>/dev/null; }

python_ready() {
  has_modules "$TORCH_PYTHON" "torch, onnx" && has_modules "$ORT_PYTHON" "onnxruntime, numpy" &&
    return
  if [ "$TORCH_PYTHON" != "$VENV/bin/python" ] || [ "$ORT_PYTHON" != "$VENV/bin/python" ]; then
    echo "TORCH_PYTHON needs torch and onnx, ORT_PYTHON onnxruntime and numpy" >&2
    exit 2
  fi
  [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$here/requirements.txt"
}

# Compiles a peer program into $OUT/bin when its source is newer than the binary.
peer_binary() {
  local name=$1; shift
  mkdir -p "$OUT/bin"
  if [ ! -x "$OUT/bin/$name" ] || [ "$here/$name.cc" -nt "$OUT/bin/$name" ]; then
    g++ -O2 -march=native -std=c++17 "$here/$name.cc" -o "$OUT/bin/$name" "$@"
  fi
  echo "$OUT/bin/$name"
}

# Writes the run's provenance for summarize.py.
write_meta() {
  local step=$1
  /usr/bin/python3 - "$OUT/meta_$step.json" "$nas" "$root" <<'EOF'
import datetime, json, subprocess, sys
path, nas, root = sys.argv[1:]
def out(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.stdout.strip().splitlines()[0] if r.returncode == 0 and r.stdout.strip() else "?"
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "nas": out(nas, "--version"),
           "commit": out("git", "-C", root, "describe", "--always", "--dirty"),
           "gxx": out("g++", "--version")}, open(path, "w"))
EOF
}

# Runs a measurement command; its JSON goes to FILE, or an {"error": ...} record naming the
# failure, so that one model that fails does not stop the study.
record() {
  local file=$1; shift
  if timeout "$TIMEOUT" "$@" < /dev/null > "$file.tmp" 2> "$file.err"; then
    mv "$file.tmp" "$file"
    rm -f "$file.err"
  else
    local rc=$?
    /usr/bin/python3 -c 'import json,sys; print(json.dumps({"error": sys.argv[1]}))' \
      "exit $rc: $(tail -n 3 "$file.err" | tr '\n' ' ')" > "$file"
    rm -f "$file.tmp"
    echo "  failed ($file): $(tail -n 1 "$file.err")" >&2
  fi
}

# The ONNX files: PyTorch's once; the ones nas writes every time (cheap, and they follow
# the product's exporter). $models_dir/archs.tsv lists each space sample.
make_models() {
  python_ready
  mkdir -p "$models_dir"
  [ -s "$models_dir/models.json" ] || "$TORCH_PYTHON" "$here/make_models.py" "$models_dir"
  "$nas" make-model small-cnn -o "$models_dir/small_cnn.onnx" > /dev/null
  : > "$models_dir/archs.tsv"
  local count=$(( SAMPLES > COMPILE_SAMPLES ? SAMPLES : COMPILE_SAMPLES ))
  for space_file in "$root"/configs/spaces/*.yaml; do
    local space i=0
    space=$(basename "$space_file" .yaml)
    # `nas space --sample` lines: ARCH  P parameters  F FLOPs
    "$nas" space "$space_file" --sample "$count" --seed "$SEED" | grep ' FLOPs$' | cut -d' ' -f1 |
      while read -r arch; do
        i=$((i + 1))
        "$nas" make-model --space "$space_file" --arch "$arch" -o "$models_dir/${space}_$i.onnx" \
          < /dev/null > /dev/null
        printf '%s\t%s\t%s\n' "${space}_$i" "$space" "$arch" >> "$models_dir/archs.tsv"
      done
  done
}

# Model names of the latency table, in table order ($MODELS, when set, picks some).
latency_models() {
  if [ -n "${MODELS:-}" ]; then echo "$MODELS"; return; fi
  echo small_cnn
  for space_file in "$root"/configs/spaces/*.yaml; do
    for i in $(seq 1 "$SAMPLES"); do echo "$(basename "$space_file" .yaml)_$i"; done
  done
  echo resnet18 mobilenetv2
}

ours() { record "$1" "$nas" bench "$2" --threads "$3" --json "${@:4}"; }
ort() { record "$1" "$ORT_PYTHON" "$here/ort_bench.py" "$2" --threads "$3"; }

models() {
  make_models
  write_meta models
  mkdir -p "$OUT/latency"
  for model in $(latency_models); do rm -f "$OUT/latency/${model}"_t*_r*_*.json; done
  for round in $(seq 1 "$ROUNDS"); do
    for model in $(latency_models); do
      for threads in $THREADS; do
        local file=$models_dir/$model.onnx base=$OUT/latency/${model}_t${threads}_r${round}
        if (( round % 2 )); then
          ours "${base}_ours.json" "$file" "$threads"; ort "${base}_ort.json" "$file" "$threads"
        else
          ort "${base}_ort.json" "$file" "$threads"; ours "${base}_ours.json" "$file" "$threads"
        fi
        if [ "$round" = 1 ] && [ "$REFERENCE" = 1 ]; then
          ours "${base}_reference.json" "$file" "$threads" --reference
        fi
        echo "round $round $model threads $threads done"
      done
    done
  done
}

fma_peak() {
  local bin
  bin=$(peer_binary fma_peak -pthread)
  for threads in $THREADS; do "$bin" --threads "$threads" >> "$OUT/fma_peak.jsonl"; done
}

layers() {
  make_models
  write_meta layers
  local onednn
  if [ ! -f /usr/include/dnnl.hpp ]; then
    echo "oneDNN is missing: apt-get install -y libdnnl-dev" >&2
    exit 2
  fi
  onednn=$(peer_binary onednn_conv -fopenmp -ldnnl)
  if [ ! -x "$layer_kernels" ]; then
    cmake --build "$root/build" --target layer_kernels > /dev/null
  fi
  rm -rf "$OUT/layers" "$OUT/fma_peak.jsonl"
  mkdir -p "$OUT/layers"
  fma_peak
  for round in $(seq 1 "$ROUNDS"); do
    "$TORCH_PYTHON" "$here/make_models.py" --list-layers |
      while read -r name c k h w kernel stride pad groups; do
        for threads in $THREADS; do
          local file=$models_dir/$name.onnx base=$OUT/layers/${name}_t${threads}_r${round}
          local shape=(--c "$c" --k "$k" --h "$h" --w "$w" --kernel "$kernel" --stride "$stride"
                       --pad "$pad" --groups "$groups" --threads "$threads")
          if (( round % 2 )); then
            ours "${base}_ours.json" "$file" "$threads"
            record "${base}_ours16c.json" "$layer_kernels" "${shape[@]}" --layout blocked
            ort "${base}_ort.json" "$file" "$threads"
            record "${base}_onednn.json" "$onednn" "${shape[@]}"
          else
            record "${base}_onednn.json" "$onednn" "${shape[@]}"
            ort "${base}_ort.json" "$file" "$threads"
            record "${base}_ours16c.json" "$layer_kernels" "${shape[@]}" --layout blocked
            ours "${base}_ours.json" "$file" "$threads"
          fi
          echo "round $round $name threads $threads done"
        done
      done
  done
  fma_peak
}

# Two compile times per model, each in a fresh process (no kernel of another model cached):
# the JIT path every search candidate takes (`nas bench --json` compile_seconds: graph passes,
# lowering, LLVM, linking into the process), and `nas compile -o` to an object file (its
# compile_seconds, machine code in one pass). The compiled files go to $OUT/compile/build,
# the records to $OUT/compile/NAME.json.
compile_one() {
  local name=$1 onnx=$2 dir=$OUT/compile
  local start end
  if timeout "$TIMEOUT" "$nas" bench "$onnx" --target host --threads 1 --json --min-seconds 0 \
       --min-repeats 1 --warmup 0 < /dev/null > "$dir/build/$name.bench.json" 2> "$dir/$name.err" &&
     start=$(date +%s.%N) &&
     timeout "$TIMEOUT" "$nas" compile "$onnx" --target host -o "$dir/build/$name.compiled" \
       < /dev/null > /dev/null 2>> "$dir/$name.err"; then
    end=$(date +%s.%N)
    /usr/bin/python3 - "$dir/build/$name" "$start" "$end" > "$dir/$name.json" <<'EOF'
import json, os, sys
base, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
record = {"compile_seconds": json.load(open(base + ".bench.json"))["compile_seconds"],
          "object_wall_seconds": end - start}
for path in (base + ".compiled.json", base + ".json"):
    if os.path.exists(path):
        record["object_compile_seconds"] = json.load(open(path))["compile_seconds"]
        break
print(json.dumps(record))
EOF
    rm -f "$dir/$name.err"
  else
    /usr/bin/python3 -c 'import json,sys; print(json.dumps({"error": sys.argv[1]}))' \
      "$(tail -n 3 "$dir/$name.err" | tr '\n' ' ')" > "$dir/$name.json"
  fi
}

compile() {
  make_models
  write_meta compile
  rm -rf "$OUT/compile"
  mkdir -p "$OUT/compile/build"
  while IFS=$'\t' read -r name space arch; do
    compile_one "$name" "$models_dir/$name.onnx"
  done < "$models_dir/archs.tsv"
  for name in small_cnn resnet18 mobilenetv2; do compile_one "$name" "$models_dir/$name.onnx"; done
  echo "compiled $(ls "$OUT/compile"/*.json | wc -l) models"
}

tv_models() { if [ -n "${TV_MODELS:-}" ]; then echo "$TV_MODELS"; else "$TORCH_PYTHON" "$here/make_torchvision.py" --list; fi; }

torchvision() {
  has_modules "$TORCH_PYTHON" "torch, torchvision, onnx" ||
    { echo "TORCH_PYTHON ($TORCH_PYTHON) needs torch, torchvision and onnx" >&2; exit 2; }
  has_modules "$ORT_PYTHON" "onnxruntime, numpy" ||
    { echo "ORT_PYTHON ($ORT_PYTHON) needs onnxruntime and numpy" >&2; exit 2; }
  local dir=$OUT/torchvision kernel_profile=${KERNEL_PROFILE:-$root/build/kernel_profile}
  mkdir -p "$dir/models" "$dir/latency" "$dir/profile" "$dir/agree"
  [ -x "$kernel_profile" ] || cmake --build "$root/build" --target kernel_profile > /dev/null
  write_meta torchvision
  "$TORCH_PYTHON" -c 'import torch, torchvision; print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")' \
    > "$dir/versions.txt"
  "$ORT_PYTHON" -c 'import onnxruntime; print(f"onnxruntime {onnxruntime.__version__}")' >> "$dir/versions.txt"
  lscpu | grep "Model name" >> "$dir/versions.txt"
  for model in $(tv_models); do
    [ -s "$dir/models/tv_$model.onnx" ] || "$TORCH_PYTHON" "$here/make_torchvision.py" "$dir/models" "$model" > /dev/null
  done
  rm -f "$dir/fma_peak.jsonl"
  local bin
  bin=$(peer_binary fma_peak -pthread)
  for threads in $THREADS; do "$bin" --threads "$threads" >> "$dir/fma_peak.jsonl"; done
  for model in $(tv_models); do
    local file=$dir/models/tv_$model.onnx
    "$ORT_PYTHON" "$root/experiments/vector_math/agree.py" "$nas" "$file" > "$dir/agree/$model.txt" 2>&1 || true
    "$kernel_profile" "$file" --threads 1 > "$dir/profile/$model.txt" 2>&1 || true
    rm -f "$dir/latency/${model}"_t*_r*_*.json
  done
  for model in $(tv_models); do
    for threads in $THREADS; do
      (cd "$here" && "$ORT_PYTHON" interleaved_bench.py "$nas" "$dir/models/tv_$model.onnx" \
        --threads "$threads" --pairs "$PAIRS" --out "$dir/latency/${model}_t${threads}") ||
        echo "$model threads $threads: interleaved_bench.py failed" >&2
      echo "$model threads $threads done"
    done
  done
  for threads in $THREADS; do "$bin" --threads "$threads" >> "$dir/fma_peak.jsonl"; done
  /usr/bin/python3 "$here/summarize_torchvision.py" "$dir" > "$here/torchvision.md"
  cat "$here/torchvision.md"
}

summary() {
  /usr/bin/python3 "$here/summarize.py" "$OUT" > "$here/results.md"
  cat "$here/results.md"
}

case "${1:-all}" in
  models) models ;;
  layers) layers ;;
  compile) compile ;;
  torchvision) torchvision ;;
  summary) summary ;;
  all) models; layers; compile; summary ;;
  *) echo "usage: $0 [models|layers|compile|torchvision|summary|all]" >&2; exit 2 ;;
esac
