#!/usr/bin/env bash
# Builds the suite with sanitizers into build-SANITIZER/ and runs it.
#
#   bash scripts/sanitize.sh [address,undefined|thread] [CTEST_ARGS...]
#
# address,undefined (the default) runs every test but the two that spawn and kill whole
# searches many times (SearchCli.KilledSearches..., MpiSearch.*: minutes each under ASan,
# and they test process kills, not memory); thread runs the tests of the parallel parts:
# oneTBB workers in compiled kernels, the kernel cache, the measurement gate, the parallel
# search (RunSearch: two workers) and parallel compilation, with the suppressions of
# scripts/tsan-suppressions.txt (oneTBB's own header code; see there).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer=${1:-address,undefined}
shift || true
build=build-${sanitizer//,/-}
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
flags=()
# ThreadSanitizer: -O1 and line tables only, a quicker build whose reports still name
# file and line.
[ "$sanitizer" = thread ] && flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNAS_SANITIZE="$sanitizer" \
  "${flags[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan-suppressions.txt}
if [ "$sanitizer" = thread ]; then
  filter='Parallel|Thread|Cache|MeasurementGate|Concurrent|TwoThreads|SameBits|RunSearch'
else
  filter=''
fi
cd "$build"
if [ -n "$filter" ]; then
  ctest -j"$(nproc)" --timeout 1800 -R "$filter" "$@"
else
  ctest -j"$(nproc)" --timeout 1800 -E 'KilledSearches|MpiSearch' "$@"
fi
