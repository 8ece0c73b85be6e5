#!/usr/bin/env bash
# Runs the ONNX Runtime outside checker (ort_checker.py) in its own virtual environment.
#
#   run_checker.sh VENV_DIR NAS_BINARY EXPORT_TOOL|none [extra ort_checker.py args...]
#
# The venv is (re)created with Debian's /usr/bin/python3 when it is missing or when
# requirements.txt changed (a stamp file holds the requirements' hash). When pip cannot
# install the pinned packages (no registry reachable), the checker is skipped with one
# visible line and exit code 77, which CTest reports as SKIPPED (SKIP_RETURN_CODE 77).
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 VENV_DIR NAS_BINARY EXPORT_TOOL|none [ort_checker.py args...]" >&2
  exit 2
fi
venv=$1 nas=$2 export_tool=$3
shift 3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$here/requirements.txt
python=${NAS_CHECKER_PYTHON:-/usr/bin/python3}
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)

skip() {
  echo "SKIPPED: ONNX Runtime checker: $1"
  exit 77
}

if [[ ! -x $venv/bin/python || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  rm -rf "$venv"
  venv_log=$(mktemp)
  if ! "$python" -m venv "$venv" >"$venv_log" 2>&1; then
    reason=$(grep -v '^\s*$' "$venv_log" | tail -n 1)
    rm -f "$venv_log"
    rm -rf "$venv"
    skip "cannot create a virtual environment with $python (${reason:-unknown error}; install python3-venv)"
  fi
  rm -f "$venv_log"
  pip_log=$(mktemp)
  # Short timeout and few retries: an unreachable registry should skip quickly.
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      --timeout 30 --retries 1 -r "$requirements" >"$pip_log" 2>&1; then
    # One line: why the registry could not be reached (if that is it), then pip's last error.
    network=$(grep -oE "Failed to establish a new connection: [^')]*|Temporary failure in name resolution|Name or service not known|Read timed out|SSLError[^')]*|ProxyError[^')]*" \
      "$pip_log" | tail -n 1 || true)
    reason=$(grep -E '^ERROR' "$pip_log" | tail -n 1 || true)
    [[ -n $reason ]] || reason=$(grep -v '^\s*$' "$pip_log" | tail -n 1 || true)
    [[ -z $network ]] || reason="$network; $reason"
    rm -f "$pip_log"
    rm -rf "$venv"
    skip "cannot install onnxruntime from PyPI (${reason:-pip failed})"
  fi
  rm -f "$pip_log"
  echo "$want" >"$stamp"
fi

work=${NAS_CHECKER_WORK:-$(dirname "$venv")/checker-work}
exec "$venv/bin/python" "$here/ort_checker.py" --nas "$nas" --export-tool "$export_tool" \
  --work "$work" "$@"
