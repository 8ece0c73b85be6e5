#!/usr/bin/env bash
# Study: candidates per hour of one search on this machine, one process against MPI ranks,
# and what the MPI exchange costs per candidate against one evaluation.
#
#   bash experiments/mpi_scaleout/run.sh
#
# The same search (configs/synthetic_smoke.yaml, $CANDIDATES candidates in batches of 2, so
# every mode evaluates the same candidates) in three modes, rounds alternating the modes:
#   process-1x2  one process, 1 worker x 2 threads          (nas search)
#   process-2x1  one process, 2 oneTBB workers x 1 thread    (nas search)
#   mpi-2x1      2 worker ranks x 1 thread + rank 0 steering (mpirun -np 3 nas search)
# Each run starts from an empty folder. Prints one line per run (wall seconds, candidates
# per hour, the load average before it) and, for MPI runs, the exchange's cost per candidate
# (rank 0's round trip less the worker's evaluation time) that `nas search` reports.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${OUT:-$root/experiments/runs/mpi_scaleout}
ROUNDS=${ROUNDS:-2}
CANDIDATES=${CANDIDATES:-8}
nas=${NAS:-$root/build/nas}
mpirun=(mpirun --allow-run-as-root --oversubscribe)
rm -rf "$OUT"
mkdir -p "$OUT"

common=(search "$root/configs/synthetic_smoke.yaml" --set budget.candidates="$CANDIDATES"
        --set budget.batch=2 --set data.train_subset=256 --set data.validation_subset=64)

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
echo "nas: $("$nas" --version); $("${mpirun[0]}" --version | head -1); $(g++ --version | head -1)"
printf '%-12s %5s %9s %14s %13s %22s\n' mode round seconds "candidates/h" "load before" \
  "MPI ms/cand, s/eval"
for round in $(seq 1 "$ROUNDS"); do
  for mode in process-1x2 process-2x1 mpi-2x1; do
    dir="$OUT/$mode-$round"
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    case $mode in
      process-1x2) "$nas" "${common[@]}" --set output="$dir" --set parallel.workers=1 \
                     --set parallel.threads_per_worker=2 > "$dir.log" 2>&1 ;;
      process-2x1) "$nas" "${common[@]}" --set output="$dir" --set parallel.workers=2 \
                     --set parallel.threads_per_worker=1 > "$dir.log" 2>&1 ;;
      mpi-2x1) "${mpirun[@]}" -np 3 "$nas" "${common[@]}" --set output="$dir" \
                 --set parallel.threads_per_worker=1 > "$dir.log" 2>&1 ;;
    esac
    seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
    exchange=$(sed -n 's/^MPI exchange: [0-9]* candidates, \([0-9.]*\) ms per candidate.*, \([0-9.]*\) s per evaluation$/\1 \2/p' "$dir.log")
    grep -q "^$CANDIDATES trials ($CANDIDATES evaluated now" "$dir.log" ||
      { echo "$mode round $round did not evaluate $CANDIDATES candidates; see $dir.log" >&2; exit 1; }
    printf '%-12s %5s %9.1f %14.0f %13s %22s\n' "$mode" "$round" "$seconds" \
      "$(echo "$CANDIDATES * 3600 / $seconds" | bc -l)" "$load" "${exchange:--}"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The same candidates in every mode: their deterministic results must agree.
python3 - "$OUT" <<'PY'
import json, sys, glob
def trials(d):
    out = []
    for t in json.load(open(d + "/results.json"))["trials"]:
        out.append((t["arch"], t["result"]["status"], t["result"]["accuracy"]))
    return out
runs = sorted(glob.glob(sys.argv[1] + "/*/results.json"))
ref = trials(runs[0].rsplit("/", 1)[0])
same = all(trials(r.rsplit("/", 1)[0]) == ref for r in runs)
print(f"same trials and accuracies in all {len(runs)} runs: {same}")
PY
