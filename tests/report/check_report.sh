#!/usr/bin/env bash
# The report's browser test: `nas report` on a fixture experiment (fixture/results.json),
# then check_report.py opens the report.html it wrote in headless Chromium and checks that
# the plot rendered one mark per evaluated candidate and that the page made no request.
#
#   check_report.sh NAS_BINARY [SCREENSHOT.png]
#
# Chromium is Debian's `chromium` (scripts/install-deps.sh installs it); without it the test
# is skipped with one visible line and exit code 77 (CTest's SKIP_RETURN_CODE).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 NAS_BINARY [SCREENSHOT.png]" >&2
  exit 2
fi
nas=$1
screenshot=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

chromium=${NAS_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $chromium ]]; then
  echo "SKIPPED: report browser test: no chromium (apt-get install chromium)"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nas-report-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$here/fixture/results.json" "$work/"
"$nas" report "$work" >/dev/null

# One mark per candidate whose evaluation is ok (failed ones are listed in a table).
expected=$(python3 -c 'import json, sys
print(sum(t["result"]["status"] == "ok" for t in json.load(open(sys.argv[1]))["trials"]))' \
  "$here/fixture/results.json")
python3 "$here/check_report.py" "$chromium" "$work/report.html" "$expected" $screenshot
