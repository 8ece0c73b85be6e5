#!/usr/bin/env bash
# Study: hypervolume of the four search strategies on the quickstart config at equal budget.
#
#   bash experiments/search_strategies/run.sh [search|summary|all]
#
# search   runs configs/quickstart.yaml once per strategy (random, evolution, nsga2,
#          predictor) and seed ($SEEDS), without the final training of winners, each into
#          its own folder under $OUT; a folder that already holds a finished search is
#          resumed (nothing is evaluated twice), so the study can be stopped and rerun.
# summary  writes results.md: per strategy and seed the hypervolume of the feasible
#          accuracy-latency front (results.json's summary: reference point accuracy 0 and
#          the latency constraint), mean and range over seeds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/search_strategies}
SEEDS=${SEEDS:-"1 2 3"}
STRATEGIES=${STRATEGIES:-"random evolution nsga2 predictor"}
WORKERS=${WORKERS:-2}  # parallelism does not change the results (budget.batch is fixed)
nas=${NAS:-$root/build/nas}  # NAS=path pins a copy while build/ changes
mkdir -p "$OUT"

# Each strategy learns from the second batch on: population / initial sample of one batch.
settings() {
  case "$1" in
    random) echo "{}" ;;
    evolution) echo "{population: 4, sample_size: 2}" ;;
    nsga2) echo "{population: 4}" ;;
    predictor) echo "{initial: 4}" ;;
  esac
}

search() {
  for seed in $SEEDS; do
    for strategy in $STRATEGIES; do
      dir="$OUT/$strategy-seed$seed"
      echo "== $strategy seed $seed -> $dir"
      start=$(date +%s)
      (cd "$root" && "$nas" search configs/quickstart.yaml --set seed="$seed" \
        --set strategy.name="$strategy" --set strategy.settings="$(settings "$strategy")" --set final.top_k=0 --set parallel.workers="$WORKERS" --set output="$dir") \
        > "$dir.log" 2>&1
      echo "$strategy $seed $(( $(date +%s) - start ))" >> "$OUT/wall_seconds.txt"
    done
  done
}

summary() {
  {
    echo "strategy seed hypervolume feasible front"
    for seed in $SEEDS; do
      for strategy in $STRATEGIES; do
        "$nas" report "$OUT/$strategy-seed$seed" > /dev/null
        python3 -c 'import json,sys; s=json.load(open(sys.argv[3]))["summary"]; print(sys.argv[1], sys.argv[2], s["hypervolume"], s["feasible"], s["front"])' \
          "$strategy" "$seed" "$OUT/$strategy-seed$seed/results.json"
      done
    done
  } > "$OUT/hypervolume.txt"
  cat "$OUT/hypervolume.txt"
}

case "${1:-all}" in
  search) search ;;
  summary) summary ;;
  all) search; summary ;;
  *) echo "usage: $0 [search|summary|all]" >&2; exit 2 ;;
esac
