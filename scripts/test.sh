#!/usr/bin/env bash
# scripts/test.sh: the whole test suite. Installs what is missing, builds, starts a throwaway
# PostgreSQL 15 server with pg_virtualenv, runs every test (unit, integration, examples) with
# ctest against it, and stops the server. Extra arguments go to ctest (e.g. -R devlog).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FERRY_BUILD_DIR:-$root/build}

"$root/scripts/deps.sh"
"$root/scripts/build.sh"

# pg_virtualenv creates a temporary cluster, exports PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE
# for the command, and removes the cluster afterwards, whatever the command's outcome.
export FERRY_REQUIRE_POSTGRES=1
# For a sanitizer build (FERRY_SANITIZE=ON): leaks inside libpqxx itself are not Ferry's.
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec pg_virtualenv -t -v 15 -- ctest --test-dir "$build" --output-on-failure -j2 "$@"
