#!/usr/bin/env bash
# scripts/fault.sh: the long run of the fault suite (docs/reliability.md). Builds the fault tests,
# starts a throwaway PostgreSQL 15 with pg_virtualenv, runs every [fault] test with
# FERRY_FAULT_ROUNDS rounds, prints each test's figures and their totals, and stops the server.
#
#   scripts/fault.sh [ROUNDS] [CATCH2-TEST-SPEC]     e.g. scripts/fault.sh 500
#                                                    scripts/fault.sh 50 "[crash]"
# Environment: FERRY_BUILD_DIR (default build/), FERRY_FAULT_PGPORT (default 5473),
# FERRY_FAULT_SEED (replays a seed printed by a failure).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FERRY_BUILD_DIR:-$root/build}
rounds=${1:-500}
spec=${2:-[fault]}
port=${FERRY_FAULT_PGPORT:-5473}

cmake -S "$root" -B "$build" ${FERRY_BUILD_TYPE:+-DCMAKE_BUILD_TYPE=$FERRY_BUILD_TYPE} >/dev/null
cmake --build "$build" -j2 --target ferry_fault_tests >"$build/fault-build.log" 2>&1 ||
  { tail -n 40 "$build/fault-build.log" >&2; exit 1; }

figures=$(mktemp)
trap 'rm -f "$figures"' EXIT
export FERRY_FAULT_ROUNDS=$rounds FERRY_FAULT_FIGURES=$figures
started=$(date +%s)
status=0
# One process, tests in order: the PostgreSQL restart test runs alone by construction.
pg_virtualenv -c "-p $port" -t -v 15 -- "$build/tests/fault/ferry_fault_tests" "$spec" || status=$?

echo
echo "== fault suite, FERRY_FAULT_ROUNDS=$rounds, $(( $(date +%s) - started )) s, exit $status"
cat "$figures"
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[2] != "" && kv[1] != "seed" && kv[1] != "mode") t[kv[1]] += kv[2] } }
     END { printf "TOTAL: runs=%d crashes=%d not_reached=%d transient=%d writes_checked=%d lost=%d duplicated=%d\n",
                  t["runs"], t["crashes"], t["not_reached"], t["transient"], t["writes_checked"], t["lost"], t["duplicated"] }' "$figures"
exit $status
