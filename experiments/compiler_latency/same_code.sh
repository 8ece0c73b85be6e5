#!/usr/bin/env bash
# Whether two builds of nas generate the same code: for every ONNX model of a folder (by
# default the study's models, made by run.sh) at 1 and 2 threads, `nas compile --target host`
# with each build must give the same kernels (names, families, schedules) and byte-identical
# object files. For a change that must not change the generated code (a refactor), this is
# the proof that its speed did not move; run.sh then only measures noise.
#
#   bash experiments/compiler_latency/same_code.sh BASE_NAS NEW_NAS [MODELS_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=$1 new=$2
models=${3:-$here/../runs/compiler_latency/models}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
same=0 differ=0
for model in "$models"/*.onnx; do
  for threads in 1 2; do
    name=$(basename "$model" .onnx)_t$threads
    "$base" compile "$model" --target host --threads "$threads" -o "$work/base_$name" > /dev/null
    "$new" compile "$model" --target host --threads "$threads" -o "$work/new_$name" > /dev/null
    if /usr/bin/python3 - "$work/base_$name.json" "$work/new_$name.json" <<'PY' &&
import json, sys
def kernels(path):
    return [(k["name"], k["family"], k["schedule"]) for k in json.load(open(path))["kernels"]]
sys.exit(0 if kernels(sys.argv[1]) == kernels(sys.argv[2]) else 1)
PY
       cmp -s "$work/base_$name.o" "$work/new_$name.o"; then
      same=$((same + 1))
    else
      differ=$((differ + 1))
      echo "differs: $name"
    fi
  done
done
echo "same code: $same, different: $differ"
[ "$differ" = 0 ]
