#!/usr/bin/env bash
# Study: brief training of the small Fashion-MNIST CNN by `nas train` (the reference
# executor) against the same recipe in PyTorch, on the same files.
#
#   bash experiments/train_small_cnn/run.sh [steptime|accuracy|recipe|summary|all]
#
# steptime  median training step at batch 64, 1 and 2 threads, ours and PyTorch alternated
# accuracy  recipe of the issue (SGD lr 0.05, momentum 0.9, batch 64, constant rate) on all
#           60000 training images: test accuracy after 1 and 3 epochs, seeds $SEEDS
# recipe    a better recipe at the same 3-epoch budget (cosine with warm-up, weight decay,
#           random crop + flip), seeds $RECIPE_SEEDS
# summary   writes results.md from the JSON records in $OUT
# Needs PyPI for the peer (torch, in its own venv under build/); the product needs none.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/train_small_cnn}
SEEDS=${SEEDS:-"1 2 3 4 5"}
RECIPE_SEEDS=${RECIPE_SEEDS:-"1 2"}
THREADS=${THREADS:-2}
venv=$root/build/bench-venv
nas=$root/build/nas
mkdir -p "$OUT"

peer() {
  if [ ! -x "$venv/bin/python" ]; then
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/requirements.txt"
  fi
  "$venv/bin/python" "$here/torch_train.py" "$@"
}

common=(--data fashion-mnist --batch 64 --momentum 0.9 --train-size 60000
        --val-size 0 --threads "$THREADS" --json)

steptime() {
  : > "$OUT/steptime.jsonl"
  for round in 1 2 3; do
    for threads in 1 2; do
      "$nas" make-model small-cnn -o "$OUT/steptime.onnx" >/dev/null
      ours=$("$nas" train "$OUT/steptime.onnx" --data fashion-mnist --batch 64 --lr 0.05 \
              --subset 3840 --val-subset 100 --threads "$threads" --json | \
             "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["step_ms"])')
      theirs=$(peer steptime --threads "$threads" --max-steps 60 | \
               "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["median_step_ms"])')
      echo "{\"round\": $round, \"threads\": $threads, \"ours_ms\": $ours, \"pytorch_ms\": $theirs}" | \
        tee -a "$OUT/steptime.jsonl"
    done
  done
}

# A record is complete once nas has written its closing brace; reruns skip complete ones.
done_already() { [ -s "$1" ] && tail -n 1 "$1" | grep -q '^}'; }

accuracy() {
  for seed in $SEEDS; do
    "$nas" make-model small-cnn --seed "$seed" -o "$OUT/model_$seed.onnx" >/dev/null
    done_already "$OUT/ours_seed${seed}_epoch1.json" ||
      "$nas" train "$OUT/model_$seed.onnx" "${common[@]}" --seed "$seed" --epochs 1 --lr 0.05 --test \
        --checkpoint "$OUT/seed$seed.ckpt" > "$OUT/ours_seed${seed}_epoch1.json"
    done_already "$OUT/ours_seed${seed}_epoch3.json" ||
      "$nas" train "$OUT/model_$seed.onnx" "${common[@]}" --seed "$seed" --epochs 3 --lr 0.05 --test \
        --resume "$OUT/seed$seed.ckpt" > "$OUT/ours_seed${seed}_epoch3.json"
    echo "ours seed $seed done"
  done
  peer accuracy --epochs 3 --threads "$THREADS" --seeds $SEEDS | tee "$OUT/pytorch.jsonl"
}

recipe() {
  for seed in $RECIPE_SEEDS; do
    "$nas" make-model small-cnn --seed "$seed" -o "$OUT/model_$seed.onnx" >/dev/null
    done_already "$OUT/better_seed${seed}_epoch3.json" ||
      "$nas" train "$OUT/model_$seed.onnx" "${common[@]}" --seed "$seed" --epochs 3 --test \
      --lr 0.1 --schedule cosine --warmup-epochs 0.2 --weight-decay 5e-4 --augment \
      > "$OUT/better_seed${seed}_epoch3.json"
    echo "better recipe seed $seed done"
  done
}

summary() { "$venv/bin/python" "$here/summarize.py" "$OUT" > "$here/results.md"; cat "$here/results.md"; }

case "${1:-all}" in
  steptime) steptime ;;
  accuracy) accuracy ;;
  recipe) recipe ;;
  summary) summary ;;
  all) steptime; accuracy; recipe; summary ;;
  *) echo "usage: $0 [steptime|accuracy|recipe|summary|all]" >&2; exit 2 ;;
esac
