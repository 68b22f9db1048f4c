#!/usr/bin/env bash
# Reproduces docs/performance.md's milter table in one command: installs what
# is needed, builds Release in build-bench/ (or $SIGNET_BUILD_DIR), and runs
# signet-milter against OpenDKIM side by side (tests/bench/milter_compare.py).
# Extra arguments go to the comparison, e.g. --scale 0.2 for a quicker run or
# --markdown FILE to keep the tables. Take figures on an otherwise idle machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SIGNET_BUILD_DIR:-$top/build-bench}
"$top/scripts/install-deps.sh"
SIGNET_BUILD_DIR=$build "$top/scripts/build.sh" -DCMAKE_BUILD_TYPE=Release -DSIGNET_TESTS=ON \
  -DSIGNET_SANITIZER_TESTS=OFF -DSIGNET_BENCHMARKS=ON
exec /usr/bin/python3 "$top/tests/bench/milter_compare.py" \
  --load "$build/tests/bench/signet-milter-load" --milter "$build/milter/signet-milter" \
  --signet "$build/core/signet" --shim "$build/qmail-adapter/qmail-signet" \
  --recorder "$build/tests/integration/qmail_queue_recorder" "$@"
