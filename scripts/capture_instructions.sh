#!/usr/bin/env bash
# scripts/capture_instructions.sh: what capture costs a 1-column update, in instructions rather
# than seconds, so that a change to the capture triggers can be measured on a noisy machine.
#
#   scripts/capture_instructions.sh [ROWS]          (default 20000; FERRY_BUILD_DIR picks the build)
#
# One projectme store holds ROWS "Task" rows and a plain copy of "Task" with the same updatedAt
# trigger and no capture. `valgrind --tool=callgrind` counts the instructions of
# `ferry exec "UPDATE ... SET status = 'archived'"` on each (a fresh copy of the store each time)
# and of a `SELECT 1` (the process's start-up, taken off both). Counts are repeatable for the same
# binary and data, whatever else the machine is doing; they leave out the I/O that the wall-clock
# suite (scripts/bench.sh, capture_update) includes. Needs valgrind and sqlite3.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rows="${1:-20000}"
build="${FERRY_BUILD_DIR:-$root/build}"
ferry="$build/bindings/cli/ferry"
[ -x "$ferry" ] || { echo "capture_instructions: no ferry at $ferry (build first, or set FERRY_BUILD_DIR)" >&2; exit 1; }
case "$rows" in ''|*[!0-9]*) echo "capture_instructions: ROWS must be a whole number, not '$rows'" >&2; exit 1 ;; esac
for tool in valgrind sqlite3; do
  command -v "$tool" >/dev/null || { echo "capture_instructions: needs $tool (apt-get install $tool)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/store.ferry"

"$ferry" init --db "$db" --app projectme >/dev/null 2>&1
"$ferry" exec --db "$db" "INSERT INTO \"User\"(id, username, name) VALUES ('u1', 'bench', 'Bench User')"
# The plain copy: the same DDL and app trigger, renamed (no capture trigger names it).
plain_table=$(sqlite3 "$db" "SELECT sql FROM sqlite_master WHERE name = 'Task'" |
  sed 's/"Task"/"bench_plain"/; s/CONSTRAINT "Task_/CONSTRAINT "bench_plain_/g')
plain_trigger=$(sqlite3 "$db" "SELECT sql FROM sqlite_master WHERE name = 'Task_set_updatedAt'" |
  sed 's/"Task_set_updatedAt"/"bench_plain_set_updatedAt"/; s/"Task"/"bench_plain"/g')
"$ferry" exec --db "$db" "$plain_table; $plain_trigger"
for table in Task bench_plain; do
  "$ferry" exec --db "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
    INSERT INTO \"$table\"(id, \"userId\", title, description, payload, tags)
    SELECT printf('ck%08d', i), 'u1', 'Task ' || i, 'a description of the task, about forty bytes',
           json_object('n', i, 'note', 'a payload of some sixty bytes of text, as a JSON object'), '[\"work\",\"home\"]'
    FROM n"
done
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null

# instructions SQL: the instructions callgrind counts for one `ferry exec` of SQL on a fresh copy.
instructions() {
  cp "$db" "$work/run.ferry"
  rm -f "$work/run.ferry-wal" "$work/run.ferry-shm"
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$ferry" exec --db "$work/run.ferry" "$1" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

start=$(instructions "SELECT 1")
task=$(instructions "UPDATE \"Task\" SET status = 'archived'")
plain=$(instructions "UPDATE \"bench_plain\" SET status = 'archived'")
awk -v rows="$rows" -v s="$start" -v t="$task" -v p="$plain" 'BEGIN {
  tr = (t - s) / rows; pr = (p - s) / rows
  printf "capture_instructions: %d rows, 1-column update, instructions per row (start-up taken off)\n", rows
  printf "  Task (captured)   %10.0f\n  plain copy        %10.0f\n  capture\x27s share   %10.0f\n  ratio             %10.2fx\n", tr, pr, tr - pr, tr / pr
}'
