#!/usr/bin/env bash
# tests/python/run_python_tests.sh BUILD_DIR PYTHON: the Python module's pytest suite against the
# PostgreSQL server named by the PG* variables, with the module and the CLI of BUILD_DIR.
set -euo pipefail
build=$1; python=$2
here=$(cd "$(dirname "$0")" && pwd)
export PYTHONPATH="$build/bindings/python:$here"
export FERRY_CLI="$build/bindings/cli/ferry"
exec "$python" -m pytest -q -p no:cacheprovider "$here"
