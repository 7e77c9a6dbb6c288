#!/usr/bin/env bash
# scripts/demo.sh: the main job. Installs what is missing and builds; then, for every shipped app,
# creates a device store, writes and reads rows offline (no server at all), and shows its status;
# then starts a throwaway PostgreSQL 15 and installs each app's cloud schema in it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FERRY_BUILD_DIR:-$root/build}
"$root/scripts/deps.sh"
"$root/scripts/build.sh"
work=${FERRY_DEMO_DIR:-$(mktemp -d /tmp/ferry-demo.XXXXXX)}
export FERRY="$build/bindings/cli/ferry" FERRY_DEMO_DIR="$work"
echo "== offline: device stores in $work"
"$root/scripts/demo_offline.sh"
echo
echo "== online: a throwaway PostgreSQL 15"
pg_virtualenv -t -v 15 -- "$root/scripts/demo_online.sh"
