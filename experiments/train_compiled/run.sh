#!/usr/bin/env bash
# Study: the compiled training step against PyTorch's (eager and torch.compile) on the same
# networks, weights, batch, optimizer and thread count, side by side in one run.
#
#   bash experiments/train_compiled/run.sh [steptime|profile|accuracy|quickstart|summary|all]
#
# steptime  batch 64 on 1x28x28: the small CNN and 5 architectures sampled from each shipped
#           space (seed $SAMPLE_SEED); per round, per thread count, ours, PyTorch eager and
#           torch.compile alternate ($ROUNDS rounds), plus the FMA peak of this machine
# profile   per-kernel times of one compiled step (train_step_profile): the small CNN and the
#           first sample of each space
# accuracy  the small CNN on all 60000 training images with the recipe of
#           experiments/train_small_cnn (SGD lr 0.05, momentum 0.9, batch 64): compiled,
#           1 epoch then resumed to 3, seeds $SEEDS; the reference trainer 1 epoch, seeds
#           $REFERENCE_SEEDS (about 7 minutes each)
# quickstart  configs/quickstart.yaml as shipped (compiled trainer), and the quickstart before
#           the compiled trainer (the config of commit 1b53297: 2000 images, 2 final epochs)
#           on the reference trainer: wall time, candidates per hour, winners' accuracy
# summary   writes results.md from the records in $OUT
# The peer needs the venv of ../shared/tools/setup-peer-venv.sh ($PEER_VENV); the product
# needs none of it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/train_compiled}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-"1 2"}
SAMPLE_SEED=${SAMPLE_SEED:-1}
STEPS=${STEPS:-30}
SEEDS=${SEEDS:-"1 2 3 4 5"}
REFERENCE_SEEDS=${REFERENCE_SEEDS-"1 2 3"}  # set empty to skip the reference runs
PEER_VENV=${PEER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/nas-peer-venv}
nas=$root/build/nas
python=$PEER_VENV/bin/python
mkdir -p "$OUT/models"

make_models() {
  "$nas" make-model small-cnn -o "$OUT/models/small_cnn.onnx" >/dev/null
  for space in mobilenet_28 nb201_28; do
    local i=0
    "$nas" space "$root/configs/spaces/$space.yaml" --sample 5 --seed "$SAMPLE_SEED" |
      awk 'NF >= 2 && $2 ~ /^[0-9]+$/ && $3 == "parameters" {print $1}' |
      while read -r arch; do
        i=$((i + 1))
        "$nas" make-model --space "$root/configs/spaces/$space.yaml" --arch "$arch" \
          -o "$OUT/models/${space}_$i.onnx" >/dev/null
        echo "${space}_$i $arch" >> "$OUT/models/archs.txt"
      done
  done
}

write_meta() {
  "$python" - "$OUT/meta.json" "$nas" <<'PY'
import json, platform, subprocess, sys, datetime
import torch
cpu = [l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True,
       text=True).stdout.splitlines() if l.startswith("Model name")]
nas = subprocess.run([sys.argv[2], "--version"], capture_output=True, text=True).stdout.strip()
json.dump({"date": datetime.date.today().isoformat(), "cpu": cpu[0] if cpu else "?",
           "cores": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
           "nas": nas, "torch": torch.__version__, "python": platform.python_version()},
          open(sys.argv[1], "w"), indent=1)
PY
}

fma_peak() {
  mkdir -p "$OUT/bin"
  g++ -O2 -march=native -std=c++17 -pthread "$root/experiments/compiler_latency/fma_peak.cc" \
    -o "$OUT/bin/fma_peak"
  : > "$OUT/fma_peak.jsonl"
  for threads in $THREADS; do "$OUT/bin/fma_peak" --threads "$threads" >> "$OUT/fma_peak.jsonl"; done
}

steptime() {
  rm -f "$OUT/models/archs.txt"
  make_models
  write_meta
  fma_peak
  : > "$OUT/steptime.jsonl"
  for round in $(seq "$ROUNDS"); do
    for threads in $THREADS; do
      for model in "$OUT"/models/*.onnx; do
        name=$(basename "$model" .onnx)
        tag="\"round\": $round, \"name\": \"$name\""
        "$root/build/train_step_bench" "$model" --threads "$threads" --steps "$STEPS" |
          sed "s/^{/{$tag, \"side\": \"nas\", /" >> "$OUT/steptime.jsonl"
        for mode in eager compile; do
          "$python" "$here/torch_step.py" steptime --model "$model" --threads "$threads" \
            --steps "$STEPS" --mode "$mode" |
            sed "s/^{/{$tag, \"side\": \"torch_$mode\", /" >> "$OUT/steptime.jsonl"
        done
        echo "round $round, $threads thread(s): $name done"
      done
    done
  done
}

profile() {
  : > "$OUT/profile.txt"
  for name in small_cnn mobilenet_28_1 nb201_28_1; do
    for threads in $THREADS; do
      "$root/build/train_step_profile" "$OUT/models/$name.onnx" --threads "$threads" --top 6 \
        >> "$OUT/profile.txt"
    done
  done
}

accuracy() {
  mkdir -p "$OUT/accuracy"
  local common=(--data fashion-mnist --batch 64 --momentum 0.9 --lr 0.05 --train-size 60000
                --val-size 0 --threads 1 --json --test)
  for seed in $SEEDS; do
    "$nas" make-model small-cnn --seed "$seed" -o "$OUT/accuracy/model_$seed.onnx" >/dev/null
    "$nas" train "$OUT/accuracy/model_$seed.onnx" "${common[@]}" --seed "$seed" --epochs 1 \
      --checkpoint "$OUT/accuracy/seed$seed.ckpt" > "$OUT/accuracy/compiled_s${seed}_e1.json"
    "$nas" train "$OUT/accuracy/model_$seed.onnx" "${common[@]}" --seed "$seed" --epochs 3 \
      --resume "$OUT/accuracy/seed$seed.ckpt" > "$OUT/accuracy/compiled_s${seed}_e3.json"
  done
  for seed in $REFERENCE_SEEDS; do
    "$nas" make-model small-cnn --seed "$seed" -o "$OUT/accuracy/model_$seed.onnx" >/dev/null
    "$nas" train "$OUT/accuracy/model_$seed.onnx" "${common[@]}" --seed "$seed" --epochs 1 \
      --reference > "$OUT/accuracy/reference_s${seed}_e1.json"
  done
}

quickstart() {
  local before="$OUT/quickstart_before.yaml"
  git -C "$root" show 1b53297:configs/quickstart.yaml |
    sed "s|^space: spaces/|space: $root/configs/spaces/|" > "$before"
  for side in after before; do
    rm -rf "$OUT/quickstart_$side"
    local config=$root/configs/quickstart.yaml extra=()
    if [ "$side" = before ]; then
      config=$before
      extra=(--set training.trainer=reference --set final.trainer=reference)
    fi
    local start=$(date +%s)
    "$nas" search "$config" --set "output=$OUT/quickstart_$side" "${extra[@]}"
    echo $(( $(date +%s) - start )) > "$OUT/quickstart_$side/wall_seconds"
  done
}

summary() { "$python" "$here/summarize.py" "$OUT" > "$here/results.md"; cat "$here/results.md"; }

case "${1:-all}" in
  steptime) steptime ;;
  profile) profile ;;
  accuracy) accuracy ;;
  quickstart) quickstart ;;
  summary) summary ;;
  all) steptime; profile; accuracy; quickstart; summary ;;
  *) echo "usage: $0 [steptime|profile|accuracy|quickstart|summary|all]" >&2; exit 2 ;;
esac
