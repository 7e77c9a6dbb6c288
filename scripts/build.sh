#!/usr/bin/env bash
# scripts/build.sh: configures and builds Ferry into build/ (override with FERRY_BUILD_DIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FERRY_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${FERRY_BUILD_TYPE:-RelWithDebInfo} \
  -DFERRY_SANITIZE=${FERRY_SANITIZE:-OFF} >/dev/null
# Quiet unless something goes wrong: the full log stays in $build/build.log.
echo "ferry: building in $build ..." >&2
if ! cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log" >&2
  echo "ferry: the build failed; full log: $build/build.log" >&2
  exit 1
fi
if grep -q "warning:" "$build/build.log"; then
  grep -A3 "warning:" "$build/build.log" >&2
fi
