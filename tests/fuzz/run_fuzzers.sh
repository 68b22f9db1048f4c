#!/usr/bin/env bash
# Builds Signet's libFuzzer targets with clang and runs them.
#
#   run_fuzzers.sh short BUILD_DIR            each target on its corpus, then
#                                             fuzzed SIGNET_FUZZ_SECONDS (6) s
#   run_fuzzers.sh long  BUILD_DIR [SECONDS] [TARGET...]
#                                             each target fuzzed SECONDS (600) s
#                                             from a work corpus kept in
#                                             BUILD_DIR/work/<target>; figures
#                                             go to BUILD_DIR/long-run.md
#
# Fails (exit 1) on any crash, leak, sanitizer report, timeout or failed
# invariant; the input that caused it is kept in BUILD_DIR/artifacts/. Exits
# 77 (CTest's "skipped") when no clang 16+ with libFuzzer is installed.
# SIGNET_FUZZ_CXX names the compiler (default: clang++-16, else clang++ if 16
# or later); SIGNET_FUZZ_JOBS the build parallelism (default 2);
# SIGNET_FUZZ_RUNS, in long mode, stops each target after that many
# executions (SECONDS still bounds it), so that a goal in executions is met
# however busy the machine is. Do not SIGSTOP a running fuzzer: libFuzzer's
# per-input timeout runs on wall-clock time and reports the pause. The
# committed corpus is only read: new inputs go to a scratch directory.
set -euo pipefail

mode=${1:?usage: run_fuzzers.sh short|long BUILD_DIR [SECONDS] [TARGET...]}
build=${2:?usage: run_fuzzers.sh short|long BUILD_DIR [SECONDS] [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
corpus_root=$here/corpus

find_cxx() {
  if [ -n "${SIGNET_FUZZ_CXX:-}" ]; then echo "$SIGNET_FUZZ_CXX"; return; fi
  for c in clang++-16 clang++-17 clang++-18 clang++; do
    command -v "$c" >/dev/null 2>&1 || continue
    major=$("$c" -dumpversion 2>/dev/null | cut -d. -f1)
    if [ "${major:-0}" -ge 16 ]; then echo "$c"; return; fi
  done
}

cxx=$(find_cxx)
if [ -z "$cxx" ]; then
  echo "fuzz: no clang++ 16 or later (Debian 12: apt-get install clang-16 libclang-rt-16-dev); skipped" >&2
  exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe/p.cpp"
if ! "$cxx" -fsanitize=fuzzer "$probe/p.cpp" -o "$probe/p" 2>/dev/null; then
  echo "fuzz: $cxx has no libFuzzer (Debian 12: apt-get install libclang-rt-16-dev); skipped" >&2
  exit 77
fi

mkdir -p "$build"
echo "fuzz: building with $cxx in $build" >&2
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j "${SIGNET_FUZZ_JOBS:-2}" >"$build/build.log" 2>&1 ||
  { tail -50 "$build/build.log" >&2; exit 1; }

targets=$(sed -n '/^set(SIGNET_FUZZ_TARGETS/,/)/p' "$here/CMakeLists.txt" | sed 's/set(SIGNET_FUZZ_TARGETS//; s/)//' | tr -s ' \n' '  ')
seconds=${SIGNET_FUZZ_SECONDS:-6}
if [ "$mode" = long ]; then
  seconds=${1:-600}
  [ $# -gt 0 ] && shift
  [ $# -gt 0 ] && targets="$*"
fi

mkdir -p "$build/artifacts" "$build/work"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
summary=$build/$mode-run.md
{
  echo "| target | executions | seconds | exec/s | coverage (cov) | features (ft) | corpus | result |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
} >"$summary"

for t in $targets; do
  bin=$build/fuzz_$t
  seeds=$corpus_root/$t
  work=$build/work/$t
  if [ "$mode" = short ]; then rm -rf "$work"; fi
  mkdir -p "$work"
  log=$build/$t.$mode.log
  start=$(date +%s)
  # -max_len: 8 KB is room enough for the parsers and keeps them fast; the
  # body canonicalizers get 32 KB so their 16 KB output buffer fills up.
  case $t in canon_*_body) max_len=32768 ;; *) max_len=8192 ;; esac
  runs=()
  if [ "$mode" = long ] && [ -n "${SIGNET_FUZZ_RUNS:-}" ]; then runs=(-runs="$SIGNET_FUZZ_RUNS"); fi
  if "$bin" "${runs[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
       -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    failed+=("$t")
  fi
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  echo "| $t | ${execs:-?} | $elapsed | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $result |" >>"$summary"
  echo "fuzz: $t: $result, ${execs:-?} executions in ${elapsed}s, cov ${cov:-?} ft ${ft:-?}" >&2
  if [ "$result" != ok ]; then
    grep -E 'ERROR|SUMMARY|invariant|Test unit written|^    #[0-9]' "$log" | head -40 >&2 || true
  fi
done

cat "$summary"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (logs: $build/<target>.$mode.log, inputs: $build/artifacts/)" >&2
  exit 1
fi
