#!/usr/bin/env bash
# tests/packaging/test_install.sh BUILD_DIR SOURCE_DIR: installs the build into throwaway
# prefixes and uses it as an app developer would: the device runtime component is the libraries
# alone; the device components have no server headers and give find_package(ferry) without
# ferry::server; an outside CMake project finds ferry::ferry and ferry::server; a program builds
# with pkg-config; the libraries carry their SONAME.
set -euo pipefail
build=$1; src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "packaging: FAILED: $*" >&2; exit 1; }
version=$(sed -n 's/^project(ferry VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")

# The device runtime alone: the two versioned libraries and their SONAME links, nothing else.
cmake --install "$build" --prefix "$work/runtime" --component device >/dev/null
runtime=$(find "$work/runtime" \( -type f -o -type l \) -printf '%f\n' | sort | tr '\n' ' ')
so=${version%%.*}
[ "$runtime" = "libferry.so.$so libferry.so.$version libferry_c.so.$so libferry_c.so.$version " ] ||
  fail "the device component installs: $runtime"

# The device SDK: the runtime and its development files.
cmake --install "$build" --prefix "$work/device" --component device >/dev/null
cmake --install "$build" --prefix "$work/device" --component device_dev >/dev/null
[ -f "$work/device/include/ferry/store.hpp" ] || fail "the device_dev component lacks include/ferry/store.hpp"
[ -f "$work/device/include/ferry/sync_service.hpp" ] || fail "the device_dev component lacks include/ferry/sync_service.hpp"
[ ! -e "$work/device/include/ferry/server.hpp" ] || fail "the device components install server.hpp"
[ ! -e "$work/device/include/ferry/postgres_transport.hpp" ] || fail "the device components install postgres_transport.hpp"
ls "$work/device"/lib*/libferry_server* >/dev/null 2>&1 && fail "the device components install libferry_server"
ls "$work/device"/lib*/libferry.so >/dev/null 2>&1 || fail "the device_dev component lacks the link libferry.so"
# find_package(ferry) works in a prefix without the server components, and has no ferry::server there.
cmake -S "$src/tests/packaging/consumer" -B "$work/consumer-device" -DCMAKE_PREFIX_PATH="$work/device" \
  -DFERRY_CONSUMER_DEVICE_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null || fail "find_package(ferry) fails in a device-only prefix"
cmake --build "$work/consumer-device" >/dev/null
out=$(LD_LIBRARY_PATH="$(dirname "$(find "$work/device" -name libferry.so.0)")" "$work/consumer-device/device_app" "$work/device.db")
[ "$out" = "rows 1 pending 1" ] || fail "device_app against the device-only prefix printed '$out'"
if out=$(cmake -S "$src/tests/packaging/consumer" -B "$work/consumer-noserver" -DCMAKE_PREFIX_PATH="$work/device" 2>&1); then
  fail "find_package(ferry COMPONENTS server) succeeds in a device-only prefix"
fi
grep -q 'set ferry_FOUND to FALSE' <<<"$out" || fail "the consumer without the server components failed otherwise: $out"

prefix="$work/usr"
cmake --install "$build" --prefix "$prefix" >/dev/null
lib=$(dirname "$(find "$prefix" -name 'libferry.so.*.*.*' | head -1)")
[ -n "$lib" ] || fail "no libferry.so.X.Y.Z installed"
readelf -d "$lib/libferry.so" | grep -q 'SONAME.*\[libferry\.so\.0\]' || fail "libferry.so has no SONAME libferry.so.0"
readelf -d "$lib/libferry_server.so" | grep -q 'SONAME.*\[libferry_server\.so\.0\]' || fail "libferry_server.so has no SONAME"
[ -x "$prefix/bin/ferry" ] || fail "the CLI is not installed"
[ -f "$prefix/include/ferry/server.hpp" ] || fail "a full install lacks server.hpp"

cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer" -j2 >/dev/null
out=$(LD_LIBRARY_PATH="$lib" "$work/consumer/device_app" "$work/app.db")
[ "$out" = "rows 1 pending 1" ] || fail "device_app printed '$out'"
out=$(LD_LIBRARY_PATH="$lib" "$work/consumer/server_app")
[ "$out" = "connection transient" ] || fail "server_app printed '$out'"

export PKG_CONFIG_PATH="$lib/pkgconfig"
[ "$(pkg-config --modversion ferry)" = "$version" ] ||
  fail "pkg-config --modversion ferry is $(pkg-config --modversion ferry)"
g++ -std=c++17 "$src/tests/packaging/consumer/device_app.cpp" $(pkg-config --cflags --libs ferry) -o "$work/pc_app"
out=$(LD_LIBRARY_PATH="$lib" "$work/pc_app" "$work/pc.db")
[ "$out" = "rows 1 pending 1" ] || fail "the pkg-config build printed '$out'"
g++ -std=c++17 "$src/tests/packaging/consumer/server_app.cpp" $(pkg-config --cflags --libs ferry-server) -o "$work/pc_server"
[ "$(LD_LIBRARY_PATH="$lib" "$work/pc_server")" = "connection transient" ] || fail "the pkg-config server build failed"
gcc -std=c99 "$src/tests/packaging/consumer/c_app.c" $(pkg-config --cflags --libs ferry-c) -o "$work/c_app"
out=$(LD_LIBRARY_PATH="$lib" "$work/c_app" "$work/c.db")
[ "$out" = "changed 1 email c@example.com version $(pkg-config --modversion ferry-c)" ] || fail "the C program printed '$out'"
[ -f "$work/device/include/ferry/ferry.h" ] || fail "the device_dev component lacks the C API's header"
ls "$work/device"/lib*/libferry_c.so.0 >/dev/null 2>&1 || fail "the device component lacks libferry_c"
ls "$work/device"/lib*/libferry_c_server* >/dev/null 2>&1 && fail "the device components install libferry_c_server"
# The Python module, installed into dist-packages with its type hints, finds libferry by its RPATH.
if [ -n "${FERRY_PYTHON:-}" ]; then
  [ -f "$prefix/lib/python3/dist-packages/ferry.pyi" ] || fail "ferry.pyi is not installed"
  out=$(PYTHONPATH="$prefix/lib/python3/dist-packages" "$FERRY_PYTHON" -c \
    "import ferry; s = ferry.Store('$work/py.db', 'december'); print(ferry.__version__, s.status()['pending_changes'])")
  [ "$out" = "$(pkg-config --modversion ferry) 0" ] || fail "the installed Python module printed '$out'"
fi
# The installed CLI finds its libraries by its RPATH, with no LD_LIBRARY_PATH.
"$prefix/bin/ferry" --version >/dev/null || fail "the installed CLI does not run"
"$prefix/bin/ferry" init --app december --db "$work/cli.db" 2>/dev/null || fail "the installed CLI cannot create a store"
echo "packaging: ok (device components, CMake package, pkg-config, a C program, SONAMEs, Python, CLI)"
