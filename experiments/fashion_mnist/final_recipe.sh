#!/usr/bin/env bash
# Study: what each part of configs/fashion_mnist.yaml's final recipe adds, on one network
# (run 6's A-budget winner by default), each variant the full recipe with one part changed,
# EPOCHS epochs on all 60000 training images, tested on the 10000 test images; one line
# per variant in $OUT/final_recipe.txt.
#
#   bash experiments/fashion_mnist/final_recipe.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/fashion_mnist_final_recipe}
nas=${NAS:-$root/build/nas}
ARCH=${ARCH:-16,2,1,5,1,16,relu,off,1,7,2,32,relu,on,3,3,2,32,hswish,off,1,3,6,64,relu,off,256}
EPOCHS=${EPOCHS:-15}
mkdir -p "$OUT"
full="--lr 0.1 --weight-decay 0.0005 --schedule cosine --warmup-epochs 0.5 --augment"
declare -A variants=(
  ["full recipe"]="$full"
  ["no augmentation"]="--lr 0.1 --weight-decay 0.0005 --schedule cosine --warmup-epochs 0.5"
  ["no weight decay"]="--lr 0.1 --schedule cosine --warmup-epochs 0.5 --augment"
  ["constant rate, no warm-up"]="--lr 0.1 --weight-decay 0.0005 --augment"
  ["no warm-up"]="--lr 0.1 --weight-decay 0.0005 --schedule cosine --augment"
  ["label smoothing 0.1"]="$full --label-smoothing 0.1"
)
{
  lscpu | grep "Model name"
  echo "arch $ARCH, $EPOCHS epochs, batch 128, SGD momentum 0.9, 60000 training images"
  for name in "full recipe" "no augmentation" "no weight decay" "constant rate, no warm-up" \
              "no warm-up" "label smoothing 0.1"; do
    # shellcheck disable=SC2086
    accuracy=$("$nas" train --space "$root/configs/spaces/mobilenet_28_wide.yaml" --arch "$ARCH" \
      --epochs "$EPOCHS" --batch 128 ${variants[$name]} --threads 2 --train-size 60000 \
      --val-size 0 --test --json |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["test_accuracy"])')
    echo "$name: test accuracy $accuracy"
  done
} | tee "$OUT/final_recipe.txt"
