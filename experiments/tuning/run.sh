#!/usr/bin/env bash
# Study: what the auto-tuner (compiler/tune/, `nas tune`) finds, and how fast it finds it.
#
#   bash experiments/tuning/run.sh [layers|models|search|tvm|summary|all]
#
# layers  the compiler study's single layers (experiments/compiler_latency/make_models.py
#         LAYERS: 3x3 and 1x1 convolutions, a depthwise 3x3) and the kernels of one
#         architecture of each shipped space (28x28, NCHW16c inside the network), at each of
#         THREADS, three ways, each into its own records file:
#         - random: RANDOM_TRIALS random schedules per workload (`nas tune --random`);
#         - model: the model-guided search, TRIALS per workload, each layer from empty
#           records (no transfer);
#         - transfer: the model-guided search with TRANSFER_TRIALS per workload, starting
#           from the model runs' records of every *other* layer (leave one out).
#         The space architectures' kernels take SPACE_RANDOM_TRIALS, SPACE_TRIALS and
#         SPACE_TRANSFER_TRIALS instead (they are many, and small).
#         The FMA peak (experiments/compiler_latency/fma_peak.cc) before and after.
# models  the compiler study's torchvision models (TV_MODELS) tuned at each of THREADS with
#         MODEL_TRIALS per workload into one shared records file (so later models reuse
#         earlier ones' workloads), then ours with and without the records and ONNX Runtime
#         kept loaded and timed in rotation, PAIRS rounds (interleaved_bench.py --records).
# search  a search of SEARCH_CANDIDATES random architectures of configs/spaces/mobilenet_28.yaml
#         (tiny synthetic training: the tuner's cost is what it measures) with tuning
#         trials SEARCH_TUNING_TRIALS into fresh records: per candidate, compile + tune +
#         measure seconds, and the tuned against the untuned latency.
# tvm     Apache TVM (Relax + MetaSchedule, tvm_metaschedule.py in the peer venv) against
#         `nas tune` + `nas bench` at the same trials per task (TVM_TRIALS) on TVM_MODELS at
#         each of TVM_THREADS: each side tuned once (TVM into $OUT/tvm/<model>_t<T>/, ours
#         into a fresh records file; skipped when that is already there), then the two tuned
#         modules timed in alternation, TVM then ours, ROUNDS rounds (the TVM process
#         compiles once and times a round each time the script opens its gate).
# summary writes results.md next to this script from $OUT (summarize.py reads the records
#         files' measurement order, so "trials to reach" is what a tuner run saw).
#
# Environment: NAS (build/nas), OUT (experiments/runs/tuning), THREADS ("1 2"),
# RANDOM_TRIALS (200), TRIALS (64), TRANSFER_TRIALS (32), SPACE_RANDOM_TRIALS (64),
# SPACE_TRIALS (32), SPACE_TRANSFER_TRIALS (16), MODEL_TRIALS (24), PAIRS (20), ROUNDS (3),
# TV_MODELS ("mobilenet_v2 resnet18 squeezenet1_1 efficientnet_b0"), TV_DIR (where the
# torchvision ONNX files are: experiments/runs/torchvision/models), TORCH_PYTHON and
# ORT_PYTHON as in experiments/compiler_latency/run.sh; for tvm: TVM_PYTHON (the venv of
# ../shared/tools/setup-peer-venv.sh, ~/.cache/nas-peer-venv/bin/python), TVM_MODELS
# ("resnet18 mobilenet_v2"), TVM_THREADS (1), TVM_TRIALS (8).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/tuning}
nas=${NAS:-$root/build/nas}
THREADS=${THREADS:-"1 2"}
RANDOM_TRIALS=${RANDOM_TRIALS:-200}
TRIALS=${TRIALS:-64}
TRANSFER_TRIALS=${TRANSFER_TRIALS:-32}
SPACE_RANDOM_TRIALS=${SPACE_RANDOM_TRIALS:-64}
SPACE_TRIALS=${SPACE_TRIALS:-32}
SPACE_TRANSFER_TRIALS=${SPACE_TRANSFER_TRIALS:-16}
MODEL_TRIALS=${MODEL_TRIALS:-24}
SEARCH_CANDIDATES=${SEARCH_CANDIDATES:-100}
SEARCH_TUNING_TRIALS=${SEARCH_TUNING_TRIALS:-8}
PAIRS=${PAIRS:-20}
ROUNDS=${ROUNDS:-3}
TVM_PYTHON=${TVM_PYTHON:-$HOME/.cache/nas-peer-venv/bin/python}
TVM_MODELS=${TVM_MODELS:-"resnet18 mobilenet_v2"}
TVM_THREADS=${TVM_THREADS:-1}
TVM_TRIALS=${TVM_TRIALS:-8}
TV_MODELS=${TV_MODELS:-"mobilenet_v2 resnet18 squeezenet1_1 efficientnet_b0"}
TV_DIR=${TV_DIR:-$root/experiments/runs/torchvision/models}
cl=$root/experiments/compiler_latency
mkdir -p "$OUT"

fma_peak() {
  mkdir -p "$OUT/bin"
  [ -x "$OUT/bin/fma_peak" ] || g++ -O2 -march=native -std=c++17 "$cl/fma_peak.cc" -o "$OUT/bin/fma_peak" -pthread
  for t in $THREADS; do "$OUT/bin/fma_peak" --threads "$t" >> "$OUT/fma_peak.jsonl"; done
}

write_meta() {
  {
    echo "{\"date\": \"$(date -u '+%Y-%m-%d %H:%M UTC')\","
    echo " \"commit\": \"$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes')\","
    echo " \"nas\": \"$("$nas" --version)\","
    echo " \"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\","
    echo " \"cores\": \"$(nproc)\","
    echo " \"random_trials\": $RANDOM_TRIALS, \"trials\": $TRIALS, \"transfer_trials\": $TRANSFER_TRIALS,"
    echo " \"space_trials\": [$SPACE_RANDOM_TRIALS, $SPACE_TRIALS, $SPACE_TRANSFER_TRIALS],"
    echo " \"model_trials\": $MODEL_TRIALS}"
  } > "$OUT/meta_$1.json"
}

# The layers' ONNX files: the compiler study's single layers, and the first sample of each
# shipped space.
layer_models() {
  mkdir -p "$OUT/layers"
  if [ ! -s "$OUT/layers/models.json" ]; then
    : "${TORCH_PYTHON:?set TORCH_PYTHON to a python with torch and onnx}"
    "$TORCH_PYTHON" "$cl/make_models.py" "$OUT/layers" > /dev/null
    rm -f "$OUT/layers/resnet18.onnx" "$OUT/layers/mobilenetv2.onnx"
  fi
  for space_file in "$root"/configs/spaces/*.yaml; do
    local space arch
    space=$(basename "$space_file" .yaml)
    arch=$("$nas" space "$space_file" --sample 1 --seed 1 | grep ' FLOPs$' | cut -d' ' -f1 | head -1)
    "$nas" make-model --space "$space_file" --arch "$arch" -o "$OUT/layers/space_$space.onnx" > /dev/null
  done
}

# Merges the records files given after the first into the first (a fresh one).
merge_records() {
  local into=$1; shift
  rm -f "$into"
  python3 - "$into" "$@" <<'PY'
import sqlite3, sys, shutil
into, parts = sys.argv[1], sys.argv[2:]
shutil.copy(parts[0], into)
db = sqlite3.connect(into)
for p in parts[1:]:
    db.execute("ATTACH ? AS other", (p,))
    cols = "workload, target, family, kernel, params, ms, error, features, work, created"
    db.execute(f"INSERT INTO measurements ({cols}) SELECT {cols} FROM other.measurements")
    db.commit()
    db.execute("DETACH other")
db.commit()
PY
}

layers() {
  write_meta layers
  layer_models
  rm -rf "$OUT/records" && mkdir -p "$OUT/records" "$OUT/tune"
  : > "$OUT/fma_peak.jsonl"
  fma_peak
  local files=("$OUT"/layers/*.onnx)
  for t in $THREADS; do
    for f in "${files[@]}"; do
      local name random=$RANDOM_TRIALS trials=$TRIALS; name=$(basename "$f" .onnx)
      case $name in space_*) random=$SPACE_RANDOM_TRIALS trials=$SPACE_TRIALS ;; esac
      echo "layers: $name at $t thread(s)" >&2
      "$OUT/bin/fma_peak" --threads "$t" >> "$OUT/fma_peak.jsonl"  # the VM's speed drifts
      "$nas" tune "$f" --threads "$t" --random --trials "$random" --early-stopping 0 \
        --records "$OUT/records/random_${name}_t$t.sqlite" --json > "$OUT/tune/random_${name}_t$t.json" 2> /dev/null
      "$nas" tune "$f" --threads "$t" --trials "$trials" --early-stopping 0 \
        --records "$OUT/records/model_${name}_t$t.sqlite" --json > "$OUT/tune/model_${name}_t$t.json" 2> /dev/null
    done
    for f in "${files[@]}"; do
      local name others=() transfer=$TRANSFER_TRIALS; name=$(basename "$f" .onnx)
      case $name in space_*) transfer=$SPACE_TRANSFER_TRIALS ;; esac
      for g in "${files[@]}"; do
        [ "$g" = "$f" ] || others+=("$OUT/records/model_$(basename "$g" .onnx)_t$t.sqlite")
      done
      merge_records "$OUT/records/transfer_${name}_t$t.sqlite" "${others[@]}"
      local before; before=$(sqlite3 "$OUT/records/transfer_${name}_t$t.sqlite" "SELECT max(id) FROM measurements")
      echo "$before" > "$OUT/records/transfer_${name}_t$t.first_id"
      "$nas" tune "$f" --threads "$t" --trials "$transfer" --early-stopping 0 \
        --records "$OUT/records/transfer_${name}_t$t.sqlite" --json > "$OUT/tune/transfer_${name}_t$t.json" 2> /dev/null
    done
  done
  fma_peak
  # Tuned against default, measured again side by side (alternating, ROUNDS rounds): the
  # single layers with the model-guided records.
  : > "$OUT/layers_bench.jsonl"
  for t in $THREADS; do
    for f in "${files[@]}"; do
      local name; name=$(basename "$f" .onnx)
      case $name in space_*) continue ;; esac
      for r in $(seq "$ROUNDS"); do
        "$nas" bench "$f" --threads "$t" --no-calibrate --json |
          sed "s/^{/{\"layer\": \"$name\", \"variant\": \"default\", /" >> "$OUT/layers_bench.jsonl"
        "$nas" bench "$f" --threads "$t" --no-calibrate --json --records "$OUT/records/model_${name}_t$t.sqlite" |
          sed "s/^{/{\"layer\": \"$name\", \"variant\": \"tuned\", /" >> "$OUT/layers_bench.jsonl"
      done
    done
  done
}

models() {
  write_meta models
  : "${ORT_PYTHON:?set ORT_PYTHON to a python with onnxruntime and numpy}"
  mkdir -p "$OUT/models"
  for t in $THREADS; do
    local records="$OUT/models/records_t$t.sqlite"
    rm -f "$records"
    for m in $TV_MODELS; do
      local f="$TV_DIR/tv_$m.onnx"
      echo "models: tuning $m at $t thread(s)" >&2
      "$nas" tune "$f" --threads "$t" --trials "$MODEL_TRIALS" --records "$records" --json \
        > "$OUT/models/tune_${m}_t$t.json" 2> /dev/null
    done
    for m in $TV_MODELS; do
      echo "models: timing $m at $t thread(s)" >&2
      rm -f "$OUT/models/pairs_${m}_t${t}"_r*.json
      "$ORT_PYTHON" "$cl/interleaved_bench.py" "$nas" "$TV_DIR/tv_$m.onnx" --threads "$t" \
        --pairs "$PAIRS" --records "$records" --out "$OUT/models/pairs_${m}_t$t"
    done
  done
}

tvm() {
  write_meta tvm
  mkdir -p "$OUT/tvm"
  lscpu | grep -E '^(Model name|CPU family|Model):' > "$OUT/tvm/lscpu.txt"
  for t in $TVM_THREADS; do
    for m in $TVM_MODELS; do
      local f="$TV_DIR/tv_$m.onnx" base="$OUT/tvm/${m}_t$t"
      if [ ! -s "$base/database_tuning_record.json" ]; then
        echo "tvm: MetaSchedule tuning $m at $t thread(s), $TVM_TRIALS trials per task" >&2
        "$TVM_PYTHON" "$here/tvm_metaschedule.py" "$f" --threads "$t" \
          --trials-per-task "$TVM_TRIALS" --work-dir "$base" > "${base}_tune.json" 2> "${base}_tune.log"
      fi
      if [ ! -s "${base}.records" ]; then
        echo "tvm: nas tuning $m at $t thread(s), $TVM_TRIALS trials" >&2
        local t0; t0=$(date +%s.%N)
        "$nas" tune "$f" --threads "$t" --trials "$TVM_TRIALS" --records "${base}.records" --json \
          > "${base}_nas_tune.json" 2> /dev/null
        awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "{\"tune_seconds\": %.1f}\n", b - a }' \
          >> "${base}_nas_tune.json"
      fi
      # The TVM process compiles once, then times one round each time $gate appears.
      local gate="$base.gate"
      rm -f "$gate" "$gate.done"
      "$TVM_PYTHON" "$here/tvm_metaschedule.py" "$f" --threads "$t" --trials-per-task "$TVM_TRIALS" \
        --work-dir "$base" --reuse-db --bench-rounds "$ROUNDS" --round-gate "$gate" \
        > "${base}_bench_tvm.jsonl" 2> "${base}_bench_tvm.log" &
      local pid=$!
      : > "${base}_bench_nas.jsonl"
      for r in $(seq "$ROUNDS"); do
        touch "$gate"
        while [ ! -e "$gate.done" ]; do sleep 0.1; done
        rm -f "$gate.done"
        "$nas" bench "$f" --threads "$t" --no-calibrate --json --records "${base}.records" \
          >> "${base}_bench_nas.jsonl"
      done
      wait "$pid"
    done
  done
}

search() {
  write_meta search
  rm -rf "$OUT/search" && mkdir -p "$OUT/search"
  cat > "$OUT/search/config.yaml" <<YAML
name: tuning_search
seed: 1
data: {set: synthetic, train_subset: 64, validation_subset: 32}
space: $root/configs/spaces/mobilenet_28.yaml
output: $OUT/search/run
targets: [{name: host, threads: 1}]
objectives:
  - {metric: accuracy, goal: maximize}
  - {metric: "latency:host", goal: minimize}
strategy: {name: random}
budget: {candidates: $SEARCH_CANDIDATES, batch: 4}
tuning: {trials: $SEARCH_TUNING_TRIALS, records: $OUT/search/records}
training: {epochs: 1, batch: 16, lr: 0.05}
YAML
  "$nas" search "$OUT/search/config.yaml" > "$OUT/search/log.txt" 2>&1
}

case "${1:-all}" in
  layers) layers ;;
  models) models ;;
  search) search ;;
  tvm) tvm ;;
  summary) python3 "$here/summarize.py" "$OUT" > "$here/results.md" ;;
  all) layers; models; search; python3 "$here/summarize.py" "$OUT" > "$here/results.md" ;;
  *) echo "usage: $0 [layers|models|search|tvm|summary|all]" >&2; exit 2 ;;
esac
