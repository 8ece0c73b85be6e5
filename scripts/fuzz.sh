#!/usr/bin/env bash
# Fuzzes the readers of user files with libFuzzer (tests/fuzz/), under ASan + UBSan.
#
#   bash scripts/fuzz.sh [SECONDS_PER_FUZZER] [FUZZER...]
#
# FUZZER is one of npy onnx_import idx target space config (default: all). Builds into
# build-fuzz/ with clang (installs clang and libclang-rt-dev where missing), seeds
# each corpus from the repository's own files and models `nas` writes, runs the fuzzers
# JOBS at a time (default: the number of cores), and prints one line per fuzzer:
# executions, coverage, corpus size and the inputs that crashed (build-fuzz/crashes/RUN/).
# A crash is any input a reader refuses other than with a UserError, a sanitizer report,
# more than 2 GB of memory, or more than 10 s on one input (60 s for spaces and configs).
# Rerun one input: build-fuzz/tests/fuzz/FUZZER_fuzz FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(npy onnx_import idx target space config)
jobs=${JOBS:-$(nproc)}
build=build-fuzz
bash scripts/install-deps.sh clang libclang-rt-dev
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNAS_FUZZ=ON -DNAS_SANITIZE=address,undefined -DNAS_WITH_MPI=OFF -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target nas nas_fuzzers

# Seeds: what users feed each reader, taken from the repository or written by `nas`.
seeds=$build/seeds
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds"/{npy,onnx_import,idx,target,space,config}
  cp configs/*.yaml "$seeds/config/"
  cp configs/spaces/*.yaml "$seeds/space/"
  cp configs/targets/*.yaml "$seeds/target/"
  "$build/nas" make-model small-cnn --batch 2 -o "$seeds/onnx_import/small_cnn.onnx" \
    --sample-input "$seeds/npy/sample.npy" >/dev/null
  for space in configs/spaces/*.yaml; do
    name=$(basename "$space" .yaml)
    "$build/nas" space "$space" --sample 2 --seed 1 | grep -v : | awk '{print $1}' |
      while read -r arch; do
        [ -n "$arch" ] || continue
        "$build/nas" make-model --space "$space" --arch "$arch" --batch 1 \
          -o "$seeds/onnx_import/$name-$(echo "$arch" | md5sum | cut -c1-8).onnx" >/dev/null
      done
  done
  # IDX: 3 images of 4x4 and their labels, plain and gzipped.
  printf '\x00\x00\x08\x03\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x04' >"$seeds/idx/images"
  printf '%048d' 7 >>"$seeds/idx/images"
  printf '\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03' >"$seeds/idx/labels"
  gzip -k -c "$seeds/idx/images" >"$seeds/idx/images.gz"
  gzip -k -c "$seeds/idx/labels" >"$seeds/idx/labels.gz"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# First the inputs that crashed before (the suite replays them too, but without the
# sanitizers' and libFuzzer's memory limits).
for fuzzer in "${fuzzers[@]}"; do
  if [ -d "tests/fuzz/regressions/$fuzzer" ]; then
    "$build/tests/fuzz/${fuzzer}_fuzz" -rss_limit_mb=2048 "tests/fuzz/regressions/$fuzzer"/* \
      >"$build/regressions-$fuzzer.log" 2>&1 ||
      { echo "a regression input crashes ${fuzzer}_fuzz: $build/regressions-$fuzzer.log"; exit 1; }
  fi
done

crashes=$build/crashes/$(date +%Y%m%d-%H%M%S)  # this run's
mkdir -p "$build/corpus" "$crashes" "$build/fuzz-logs"
run_one() {
  local fuzzer=$1 max_len=65536 timeout=10
  [ "$fuzzer" = onnx_import ] && max_len=400000  # models with their weights
  # Loading a space builds its largest networks (a valid 2448-wide stage takes 2 s in the
  # release build, over 10 s under ASan).
  case $fuzzer in space | config) timeout=60 ;; esac
  mkdir -p "$build/corpus/$fuzzer"
  "$build/tests/fuzz/${fuzzer}_fuzz" "$build/corpus/$fuzzer" "$seeds/$fuzzer" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="$timeout" -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="$crashes/$fuzzer-" \
    >"$build/fuzz-logs/$fuzzer.log" 2>&1 || true
}
export -f run_one
export build seeds seconds crashes
printf '%s\n' "${fuzzers[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

printf '%-12s %10s %8s %8s %8s %s\n' fuzzer executions cov features corpus crashes
for fuzzer in "${fuzzers[@]}"; do
  log=$build/fuzz-logs/$fuzzer.log
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo -)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo -)
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo -)
  corpus=$(ls "$build/corpus/$fuzzer" | wc -l)
  # libFuzzer also keeps inputs slower than 10 s (slow-unit-*): listed, not crashes.
  found=$(ls "$crashes" | grep -cE "^$fuzzer-(crash|oom|timeout|leak)-" || true)
  printf '%-12s %10s %8s %8s %8s %s\n' "$fuzzer" "$execs" "$cov" "$ft" "$corpus" "$found"
done
