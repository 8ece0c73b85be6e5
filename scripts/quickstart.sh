#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the main job.
# Until the search exists, the main job is the evaluator on real data: it writes the small
# Fashion-MNIST CNN as ONNX, trains it briefly on a subset of Fashion-MNIST (Debian's
# dataset-fashion-mnist), reports its metrics (accuracy, latency, parameters, FLOPs,
# memory), exports the trained model and runs it on a real test image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
out=experiments/runs/quickstart
mkdir -p "$out"
./build/nas make-model small-cnn -o "$out/small_cnn.onnx" --sample-input "$out/input.npy"
./build/nas train "$out/small_cnn.onnx" --data fashion-mnist --epochs 1 --subset 10000 \
  --val-subset 2000 --lr 0.05 --threads "$(nproc)" -o "$out/small_cnn_trained.onnx"
./build/nas run "$out/small_cnn_trained.onnx" --input "$out/input.npy"
echo "quickstart: models and the sample input are in $out/"
