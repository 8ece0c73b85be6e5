#!/usr/bin/env bash
# Study: configs/fashion_mnist.yaml's winners against the hand-designed networks of
# ../shared/reference-networks, latency measured the same way on this machine.
#
#   bash experiments/fashion_mnist/run.sh [reference|search|check|all]
#
# reference  `nas bench` of each hand-designed network (our compiled code, batch 1, 1 thread,
#            the search's latency protocol), 3 times, into $OUT/reference_latency.txt
# search     `nas search configs/fashion_mnist.yaml` into $OUT/search (about an hour on 2
#            cores; its wall time in $OUT/search_wall.txt)
# check      the exported winners in ONNX Runtime on the raw test images
#            (check_winners_ort.py; needs the peer venv of experiments/compiler_latency)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/fashion_mnist_study}
REFERENCE=${REFERENCE:-$root/../shared/reference-networks}
PYTHON=${PYTHON:-python3}
nas=${NAS:-$root/build/nas}
mkdir -p "$OUT"

reference() {
  {
    lscpu | grep "Model name"
    for round in 1 2 3; do
      for model in "$REFERENCE"/*.onnx; do
        latency=$("$nas" bench "$model" --threads 1 | awk '/^latency:/ {print $3}')
        echo "round $round $(basename "$model" .onnx) $latency ms"
      done
    done
  } | tee "$OUT/reference_latency.txt"
}

search() {
  start=$(date +%s)
  (cd "$root" && "$nas" search configs/fashion_mnist.yaml --set output="$OUT/search") \
    2>&1 | tee "$OUT/search.log"
  echo "$(( $(date +%s) - start )) s" | tee "$OUT/search_wall.txt"
}

check() {
  "$PYTHON" "$here/check_winners_ort.py" "$OUT/search/winners"
}

case "${1:-all}" in
  reference) reference ;;
  search) search ;;
  check) check ;;
  all) reference; search; reference; check ;;
  *) echo "usage: $0 [reference|search|check|all]" >&2; exit 2 ;;
esac
