#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the quickstart
# search (configs/quickstart.yaml) on Fashion-MNIST from Debian's dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/nas search configs/quickstart.yaml "$@"
