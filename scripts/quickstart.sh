#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the main job.
# For now the main job runs a model the repository makes (the small Fashion-MNIST CNN,
# seeded random weights) on a real Fashion-MNIST test image, exported to and re-imported
# from ONNX; it becomes the quickstart search once the search exists.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
out=experiments/runs/quickstart
mkdir -p "$out"
./build/nas make-model small-cnn -o "$out/small_cnn.onnx" --sample-input "$out/input.npy"
./build/nas run "$out/small_cnn.onnx" --input "$out/input.npy" --output "$out/output.npy"
echo "quickstart: model, input and output are in $out/"
