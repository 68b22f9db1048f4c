#!/usr/bin/env bash
# The README's second command: installs what is needed, builds, and runs the
# whole test suite with CTest (unit tests, the same under ASan+UBSan,
# interoperability with dkimpy and OpenDKIM, and the benchmarks, which print
# their figures and ratios but never fail on speed).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" -DSIGNET_TESTS=ON -DSIGNET_SANITIZER_TESTS=ON
cd "${SIGNET_BUILD_DIR:-$top/build}"
# The benchmarks run first and alone, so other tests do not disturb their
# figures; their output (figures and ratios) is shown in full.
ctest --output-on-failure --verbose -L bench
ctest --output-on-failure --timeout 900 -j"$(nproc 2>/dev/null || echo 2)" -LE bench
