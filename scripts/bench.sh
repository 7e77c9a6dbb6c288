#!/usr/bin/env bash
# scripts/bench.sh: builds the benchmarks (Release, build-bench/, FERRY_BUILD_BENCH=ON) and runs
# them: capture_bench on a temporary store file, then sync_bench against a throwaway PostgreSQL 15
# server started by pg_virtualenv. They print same-run ratios; nothing asserts on time, and they
# are not part of the test suite (scripts/test.sh).
#
#   scripts/bench.sh                       both benchmarks with their defaults
#   CAPTURE_ARGS="--rows 20000 --runs 3" SYNC_ARGS="--rows 5000" scripts/bench.sh
#   FERRY_BENCH_SKIP_SYNC=1 scripts/bench.sh   capture_bench only (no PostgreSQL)
#
# Builds with -j1 by default (FERRY_BENCH_JOBS to change): the benchmark machine has 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FERRY_BENCH_BUILD_DIR:-$root/build-bench}
jobs=${FERRY_BENCH_JOBS:-1}

"$root/scripts/deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFERRY_BUILD_BENCH=ON \
  -DFERRY_BUILD_TESTS=OFF -DFERRY_BUILD_EXAMPLES=OFF >/dev/null
echo "ferry: building the benchmarks in $build ..." >&2
targets=(capture_bench)
[ -n "${FERRY_BENCH_SKIP_SYNC:-}" ] || targets+=(sync_bench)
if ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log" >&2
  echo "ferry: the benchmark build failed; full log: $build/build.log" >&2
  exit 1
fi

# shellcheck disable=SC2086  # the *_ARGS variables are word lists on purpose
"$build/bench/capture_bench" ${CAPTURE_ARGS:-}
if [ -z "${FERRY_BENCH_SKIP_SYNC:-}" ]; then
  echo >&2
  pg_virtualenv -t -v 15 -- "$build/bench/sync_bench" ${SYNC_ARGS:-}
fi
