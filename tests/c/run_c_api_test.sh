#!/usr/bin/env bash
# tests/c/run_c_api_test.sh BUILD_DIR: a fresh database with the december app (ferry server init),
# a real `ferry gateway` on it (loopback, a test secret), then the C test against both. Needs the
# PostgreSQL server named by the PG* variables.
set -euo pipefail
build=$1
ferry="$build/bindings/cli/ferry"
db="ferry_c_api_$$"
work=$(mktemp -d)
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null || true
  dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
createdb "$db"
"$ferry" server init --app december --database-url "dbname=$db" >/dev/null 2>&1
export FERRY_JWT_SECRET="c-api-tests-secret-of-the-ferry-gateway-0123456789"
DATABASE_URL="dbname=$db" "$ferry" gateway --listen 127.0.0.1:0 >"$work/gateway.out" 2>"$work/gateway.err" &
gateway_pid=$!
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/gateway.out")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "${port:-}" ] || { cat "$work/gateway.err" >&2; echo "run_c_api_test: the gateway did not start" >&2; exit 1; }
# The token of the user the C test writes as (k_user in c_api_test.c).
token=$("$ferry" token --sub 11111111-1111-4111-8111-111111111111)
"$build/tests/c/c_api_test" "$work" "dbname=$db" "http://127.0.0.1:$port" "$token"
