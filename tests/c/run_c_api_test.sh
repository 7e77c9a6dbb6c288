#!/usr/bin/env bash
# tests/c/run_c_api_test.sh BUILD_DIR: a fresh database with the december app (ferry server init),
# then the C test against it. Needs the PostgreSQL server named by the PG* variables.
set -euo pipefail
build=$1
db="ferry_c_api_$$"
work=$(mktemp -d)
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
createdb "$db"
"$build/bindings/cli/ferry" server init --app december --database-url "dbname=$db" >/dev/null 2>&1
"$build/tests/c/c_api_test" "$work" "dbname=$db"
