#!/usr/bin/env bash
# scripts/bench.sh: builds the benchmarks (Release, build-bench/, FERRY_BUILD_BENCH=ON) and runs
# the throughput suite (throughput_bench: initial sync, push, incremental sync, capture on
# projectme "Task" rows) against a throwaway PostgreSQL 15 started by pg_virtualenv, through
# PostgreSQL directly and through a real `ferry gateway`. Writes bench-results/*.json and, with
# gnuplot and jq installed, the plots (scripts/plot.sh -> docs/perf/*.png). Every setting is an
# environment variable (bench/README.md); extra arguments go to throughput_bench.
#
#   scripts/bench.sh                                  10k and 100k rows, 3 runs, both transports
#   FERRY_BENCH_ROWS=10000,100000,1000000 scripts/bench.sh
#   FERRY_BENCH_TRANSPORTS=direct FERRY_BENCH_RUNS=1 scripts/bench.sh --measure initial,capture
#   FERRY_BENCH_SUITE=legacy scripts/bench.sh        the older capture_bench and sync_bench (december)
#
# Nothing asserts on time; a run fails only when the build fails or what was synced is wrong.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FERRY_BENCH_BUILD_DIR:-$root/build-bench}
jobs=${FERRY_BENCH_JOBS:-1}
suite=${FERRY_BENCH_SUITE:-throughput}
results=${FERRY_BENCH_RESULTS:-$root/bench-results}

case "$suite" in
  throughput) targets=(throughput_bench) ;;
  legacy) targets=(capture_bench); [ -n "${FERRY_BENCH_SKIP_SYNC:-}" ] || targets+=(sync_bench) ;;
  all) targets=(throughput_bench capture_bench sync_bench) ;;
  *) echo "ferry: FERRY_BENCH_SUITE must be throughput, legacy or all (not '$suite')" >&2; exit 2 ;;
esac

# pg_virtualenv's cluster: a fixed port when asked for (FERRY_BENCH_PG_PORT), else its own choice.
pg=(pg_virtualenv -t -v 15)
[ -z "${FERRY_BENCH_PG_PORT:-}" ] || pg=(pg_virtualenv -c "-p $FERRY_BENCH_PG_PORT" -t -v 15)

"$root/scripts/deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFERRY_BUILD_BENCH=ON \
  -DFERRY_BUILD_TESTS=OFF -DFERRY_BUILD_EXAMPLES=OFF >/dev/null
echo "ferry: building the benchmarks in $build ..." >&2
if ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log" >&2
  echo "ferry: the benchmark build failed; full log: $build/build.log" >&2
  exit 1
fi

run_legacy() {
  # shellcheck disable=SC2086  # the *_ARGS variables are word lists on purpose
  "$build/bench/capture_bench" ${CAPTURE_ARGS:-}
  if [ -z "${FERRY_BENCH_SKIP_SYNC:-}" ]; then
    echo >&2
    # shellcheck disable=SC2086
    "${pg[@]}" -- "$build/bench/sync_bench" ${SYNC_ARGS:-}
  fi
}

run_throughput() {
  mkdir -p "$results"
  [ -e "$results/.gitignore" ] || echo '*' >"$results/.gitignore"  # results stay out of git
  local commit json
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  json="$results/throughput-$(date -u +%Y%m%dT%H%M%SZ)-$commit.json"
  local args=(--rows "${FERRY_BENCH_ROWS:-10000,100000}" --runs "${FERRY_BENCH_RUNS:-3}"
              --transport "${FERRY_BENCH_TRANSPORTS:-direct,gateway}" --json "$json" --label "main at $commit")
  [ -z "${FERRY_BENCH_MEASURES:-}" ] || args+=(--measure "$FERRY_BENCH_MEASURES")
  "${pg[@]}" -- "$build/bench/throughput_bench" "${args[@]}" "$@"
  cp "$json" "$results/latest.json"
  echo "ferry: results in $json (and $results/latest.json)" >&2
  if [ "${FERRY_BENCH_PLOT:-1}" != 0 ]; then
    if command -v gnuplot >/dev/null && command -v jq >/dev/null; then
      "$root/scripts/plot.sh" "$json"
    else
      echo "ferry: no plots (install gnuplot-nox and jq: apt-get install -y gnuplot-nox jq)" >&2
    fi
  fi
}

case "$suite" in
  throughput) run_throughput "$@" ;;
  legacy) run_legacy ;;
  all) run_legacy; echo >&2; run_throughput "$@" ;;
esac
