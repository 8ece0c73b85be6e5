#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, and those named as arguments (e.g.
# scripts/fuzz.sh's clang), only those that are missing, so a second run takes a second.
# Run as root (or with sudo available).
set -euo pipefail

packages=(
  cmake g++ make ccache pkg-config
  llvm-19-dev libonnx-dev libprotobuf-dev protobuf-compiler libtbb-dev
  libyaml-cpp-dev libxgboost-dev libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
  libopenmpi-dev openmpi-bin dataset-fashion-mnist libcli11-dev libspdlog-dev
  libfmt-dev nlohmann-json3-dev zlib1g-dev
  chromium               # the report's browser test (headless)
  python3 python3-venv   # outside checkers only (ONNX Runtime), never the product
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
