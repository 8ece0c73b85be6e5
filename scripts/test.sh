#!/usr/bin/env bash
# The README's second command (and .ci/run): installs what is missing, builds, and runs
# the whole test suite through ctest, including the outside ONNX Runtime checker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900
