#!/usr/bin/env bash
# The long fuzzing run of docs/fuzzing.md: every target for SECONDS (default
# 600) seconds in turn, at low priority, from the work corpus kept in
# BUILD_DIR/work (so a second run goes on where the first stopped). Figures
# are written to BUILD_DIR/long-run.md.
#
#   tests/fuzz/run_long.sh [BUILD_DIR] [SECONDS] [TARGET...]
#
# Known bugs that have been reported but not fixed yet are stepped over (see
# SIGNET_FUZZ_TOLERATE in fuzz_support.h and the list in docs/fuzzing.md), so
# they do not end the run; set SIGNET_FUZZ_TOLERATE= to stop at them too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build-fuzz}
shift || true
export SIGNET_FUZZ_TOLERATE=${SIGNET_FUZZ_TOLERATE-}
exec nice -n 10 "$here/run_fuzzers.sh" long "$build" "$@"
