#!/usr/bin/env bash
# How far `nas bench` medians move between invocations (issue 13), before and after the
# repeatable protocol, with ONNX Runtime's medians beside them.
#
#   bash experiments/latency_repeatability/run.sh
#
# Three models (the small CNN, one MobileNet and one NB201 architecture of the shipped
# spaces, batch 1), at 1 and 2 threads. Each of INVOCATIONS rounds (default 10), GAP seconds
# apart (default 20), runs for every model and thread count, one after the other:
#   before: nas bench --rounds 1 --no-pin --max-spread 0 --no-calibrate
#                                           (the protocol before issue 13)
#   after:  nas bench                       (the default protocol: at the quiet speed)
#   ort:    ONNX Runtime with the protocol of `nas bench` before (compiler_latency's script)
# and the summary gives, per model, thread count and protocol, the medians' spread:
# (max - min) / median over the invocations, and that of the ratio to the calibration work. Output: experiments/runs/latency_repeatability/.
# Python (ONNX Runtime, the summary) from VENV (default ~/.cache/nas-peer-venv, made from
# experiments/compiler_latency/requirements.txt when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/experiments/latency_repeatability
out=${OUT:-$root/experiments/runs/latency_repeatability}
invocations=${INVOCATIONS:-10}
gap=${GAP:-20}
venv=${VENV:-$HOME/.cache/nas-peer-venv}
nas=$root/build/nas
[ -x "$nas" ] || bash "$root/scripts/build.sh"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$root/experiments/compiler_latency/requirements.txt"
fi
mkdir -p "$out/models"

lscpu | grep -E 'Model name|^CPU\(s\)|Thread|MHz' | sed 's/  */ /g' >"$out/machine.txt"
{
  echo "date: $(date -u +%F)"
  echo "nas: $(git -C "$root" rev-parse --short HEAD)"
  echo "onnxruntime: $("$venv/bin/python" -c 'import onnxruntime; print(onnxruntime.__version__)')"
} >>"$out/machine.txt"
cat "$out/machine.txt"

"$nas" make-model small-cnn --batch 1 -o "$out/models/small_cnn.onnx" >/dev/null
for space in mobilenet_28 nb201_28; do
  arch=$("$nas" space "$root/configs/spaces/$space.yaml" --sample 1 --seed 3 | grep -v : |
         awk 'NF {print $1; exit}')
  "$nas" make-model --space "$root/configs/spaces/$space.yaml" --arch "$arch" --batch 1 \
    -o "$out/models/$space.onnx" >/dev/null
done

runs=$out/runs.jsonl
: >"$runs"
for ((i = 1; i <= invocations; i++)); do
  for model in small_cnn mobilenet_28 nb201_28; do
    for threads in 1 2; do
      m=$out/models/$model.onnx
      tag="\"invocation\": $i, \"model\": \"$model\", \"threads\": $threads"
      echo "{$tag, \"protocol\": \"before\", \"bench\": $("$nas" bench "$m" --threads "$threads" \
        --json --rounds 1 --no-pin --max-spread 0 --no-calibrate)}" >>"$runs"
      echo "{$tag, \"protocol\": \"after\", \"bench\": $("$nas" bench "$m" --threads "$threads" \
        --json)}" >>"$runs"
      echo "{$tag, \"protocol\": \"ort\", \"bench\": $("$venv/bin/python" \
        "$root/experiments/compiler_latency/ort_bench.py" "$m" --threads "$threads")}" >>"$runs"
    done
  done
  echo "invocation $i of $invocations done $(date -u +%T)"
  [ "$i" -lt "$invocations" ] && sleep "$gap"
done
"$venv/bin/python" "$here/summarize.py" "$runs" | tee "$out/summary.md"
