#!/usr/bin/env bash
# Study: exp, log, sigmoid and tanh as vector code (compiler/codegen/vector_math.h,
# compiler/loop/math.h) against the libm calls they replace, on models whose time goes
# into them, side by side with ONNX Runtime.
#
#   NAS_BEFORE=/path/to/old/nas bash experiments/vector_math/run.sh
#
# For each model of make_models.py and each thread count in THREADS, ROUNDS rounds of
# `nas bench` with NAS_BEFORE (a build before the change), NAS (default build/nas) and ONNX
# Runtime (experiments/compiler_latency/ort_bench.py), alternating; each line of
# $OUT/latency.txt is one measurement. First, NAS's output must agree with ONNX Runtime's
# (agree.py: max abs error within 1e-4 of the output's scale). Needs a Python with torch, torchvision, onnx and
# onnxruntime (PYTHON, default the peer venv of experiments/compiler_latency).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/vector_math}
nas=${NAS:-$root/build/nas}
before=${NAS_BEFORE:?set NAS_BEFORE to a nas binary built before the change}
PYTHON=${PYTHON:-$HOME/.cache/nas-peer-venv/bin/python}
THREADS=${THREADS:-"1 2"}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT/models"
[ -f "$OUT/models/efficientnet_b0.onnx" ] || "$PYTHON" "$here/make_models.py" "$OUT/models"

median_ms() { awk '/^latency:/ {print $3}'; }
{
  lscpu | grep "Model name"
  echo "before: $before  after: $nas (commit $(git -C "$root" rev-parse --short HEAD))  $("$PYTHON" -c 'import onnxruntime; print("onnxruntime", onnxruntime.__version__)')"
  for model in conv_silu conv_tanh efficientnet_b0 mobilenet_v3_small; do
    onnx=$OUT/models/$model.onnx
    "$PYTHON" "$here/agree.py" "$nas" "$onnx"  # fails the study above 1e-4
    for threads in $THREADS; do
      for round in $(seq "$ROUNDS"); do
        b=$("$before" bench "$onnx" --threads "$threads" 2>/dev/null | median_ms || true)
        a=$("$nas" bench "$onnx" --threads "$threads" | median_ms)
        o=$("$PYTHON" "$root/experiments/compiler_latency/ort_bench.py" "$onnx" --threads "$threads" |
            "$PYTHON" -c 'import json, sys; print(round(json.load(sys.stdin)["median_ms"], 4))')
        echo "$model threads $threads round $round before ${b:-(fails)} ms after $a ms ort $o ms"
      done
    done
  done
} | tee "$OUT/latency.txt"
