#!/usr/bin/env bash
# tests/packaging/test_debs.sh BUILD_DIR SOURCE_DIR: the Debian packages (docs/packaging.md). Builds
# them from the build tree with CPack and checks each one's files and control fields; then, as root
# (or with sudo -n), installs them for real with apt-get, builds the outside consumer
# (tests/packaging/consumer) and a C program against /usr and runs them, runs /usr/bin/ferry and
# the Python module, and purges what it installed.
# Without root it checks the packages and exits 77 (skipped), except with CI=true or
# FERRY_REQUIRE_DEBS=1, where it fails. Environment: FERRY_CPACK (cpack), FERRY_PYTHON (set when
# the Python module is built).
set -euo pipefail
build=$1; src=$2
fail() { echo "packaging.debs: FAILED: $*" >&2; exit 1; }
note() { echo "packaging.debs: $*" >&2; }
cpack=${FERRY_CPACK:-cpack}
for tool in "$cpack" dpkg dpkg-deb dpkg-shlibdeps file readelf flock; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done
version=$(sed -n 's/^project(ferry VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
so=${version%%.*}
release=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_RELEASE "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$release" ] || fail "no CPACK_DEBIAN_PACKAGE_RELEASE in $build/CPackConfig.cmake"
debver=$version-$release
arch=$(dpkg --print-architecture)

# One run at a time on this machine, from whichever checkout: there is one dpkg database.
lock=/tmp/ferry-packaging-debs.lock
(umask 0; : >>"$lock") 2>/dev/null || true
exec 9<"$lock"
flock -w 600 9 || fail "another packaging.debs run has held $lock for 10 minutes"

work=$(mktemp -d)
chmod 755 "$work"  # apt reads the .debs as its own user
trap 'rm -rf "$work"' EXIT

# --- Build ------------------------------------------------------------------------------------
# The documented command (docs/packaging.md), into a directory of this run's own.
"$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$work/debs" >"$work/cpack.log" 2>&1 ||
  { tail -n 40 "$work/cpack.log" >&2; fail "cpack failed (its log above)"; }

pkgs=(libferry libferry-server libferry-dev ferry-tools)
[ -n "${FERRY_PYTHON:-}" ] && pkgs+=(python3-ferry)
deb() { echo "$work/debs/${1}_${debver}_${arch}.deb"; }
built=$(cd "$work/debs" && ls *.deb | sort | tr '\n' ' ')
expected=$(for p in "${pkgs[@]}"; do basename "$(deb "$p")"; done | sort | tr '\n' ' ')
[ "$built" = "$expected" ] || fail "cpack built '$built', expected '$expected'"

# --- What each package holds ------------------------------------------------------------------
field() { dpkg-deb -f "$(deb "$1")" "$2"; }
for p in "${pkgs[@]}"; do dpkg-deb -c "$(deb "$p")" >"$work/$p.list"; done
# Regular files and links, without the leading ./ (directories left out).
files() { awk '$1 !~ /^d/ {print $6}' "$work/$1.list" | sed 's|^\./||' | sort; }
same() {  # PACKAGE EXPECTED-LIST
  local got; got=$(files "$1")
  [ "$got" = "$(sort <<<"$2")" ] || fail "$1 holds:
$got
expected:
$(sort <<<"$2")"
}
link() {  # PACKAGE PATH TARGET
  grep -q " \./$2 -> $3\$" "$work/$1.list" || fail "$1: $2 is not a link to $3"
}
libdir=$(dirname "$(files libferry | grep "/libferry\.so\.$so\$")")
[[ $libdir =~ ^usr/lib(/[a-z0-9_]+-linux-[a-z0-9_]+)?$ ]] || fail "libferry installs its library in '$libdir'"

same libferry "$libdir/libferry.so.$so
$libdir/libferry.so.$version
$libdir/libferry_c.so.$so
$libdir/libferry_c.so.$version"
link libferry "$libdir/libferry.so.$so" "libferry.so.$version"
link libferry "$libdir/libferry_c.so.$so" "libferry_c.so.$version"
same libferry-server "$libdir/libferry_server.so.$so
$libdir/libferry_server.so.$version
$libdir/libferry_c_server.so.$so
$libdir/libferry_c_server.so.$version"
same ferry-tools "usr/bin/ferry"
# Every installed header of the source tree, device and server, and nothing else under include/.
headers=$(cd "$src/include" && find ferry -type f | sed 's|^|usr/include/|')
grep -qx "usr/include/ferry/server.hpp" <<<"$headers" || fail "the source tree has no include/ferry/server.hpp"
dev=$(files libferry-dev | sed 's|/\(ferry[A-Za-z]*Targets\)-[a-z]*\.cmake$|/\1-CONFIG.cmake|' | sort)
expected_dev="$headers
$libdir/libferry.so
$libdir/libferry_c.so
$libdir/libferry_server.so
$libdir/libferry_c_server.so
$libdir/cmake/ferry/ferryConfig.cmake
$libdir/cmake/ferry/ferryConfigVersion.cmake
$libdir/cmake/ferry/ferryTargets.cmake
$libdir/cmake/ferry/ferryTargets-CONFIG.cmake
$libdir/cmake/ferry/ferryServerTargets.cmake
$libdir/cmake/ferry/ferryServerTargets-CONFIG.cmake
$libdir/pkgconfig/ferry.pc
$libdir/pkgconfig/ferry-c.pc
$libdir/pkgconfig/ferry-server.pc"
[ "$dev" = "$(sort <<<"$expected_dev")" ] || fail "libferry-dev holds:
$dev
expected:
$(sort <<<"$expected_dev")"
for l in libferry libferry_c libferry_server libferry_c_server; do link libferry-dev "$libdir/$l.so" "$l.so.$so"; done
if [ -n "${FERRY_PYTHON:-}" ]; then
  py=$("$FERRY_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  ext=$("$FERRY_PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
  same python3-ferry "usr/lib/python3/dist-packages/ferry$ext
usr/lib/python3/dist-packages/ferry.pyi"
fi

# --- Control fields ---------------------------------------------------------------------------
deps() { field "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ *$//'; }
needs() {  # PACKAGE DEPENDENCY-REGEX (a whole clause)
  grep -Eqx "$2" <<<"$(deps "$1")" || fail "$1 does not depend on '$2' (Depends: $(field "$1" Depends))"
}
shuns() {
  ! grep -Eq "$2" <<<"$(deps "$1")" || fail "$1 depends on '$2' (Depends: $(field "$1" Depends))"
}
for p in "${pkgs[@]}"; do
  [ "$(field "$p" Package)" = "$p" ] || fail "$(deb "$p") is package '$(field "$p" Package)'"
  [ "$(field "$p" Version)" = "$debver" ] || fail "$p has version '$(field "$p" Version)', expected $debver"
  [ "$(field "$p" Architecture)" = "$arch" ] || fail "$p has architecture '$(field "$p" Architecture)'"
  [[ $(field "$p" Maintainer) =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] || fail "$p has maintainer '$(field "$p" Maintainer)'"
  [ "$(field "$p" Description | wc -l)" -ge 3 ] || fail "$p has no long description"
  [ -z "$(field "$p" Description | awk 'length > 80')" ] || fail "$p's description has lines over 80 characters"
  [ "$p" = libferry-dev ] || needs "$p" 'libc6( \(.*\))?'  # dpkg-shlibdeps ran on its ELF files
done
[ "$(field libferry Section)" = libs ] && [ "$(field libferry-dev Section)" = libdevel ] ||
  fail "the library packages' sections are '$(field libferry Section)' and '$(field libferry-dev Section)'"
# The device library: SQLite, libcurl, zlib; never libpq (what a phone or laptop app ships).
for d in 'libsqlite3-0' 'libcurl4' 'zlib1g' 'libstdc\+\+6'; do needs libferry "$d( \(.*\))?"; done
shuns libferry 'libpq|libferry'
needs libferry-server "libferry \(= $debver\)"
needs libferry-server 'libpqxx-[0-9.]+( \(.*\))?'
for p in libferry-dev ferry-tools; do
  needs "$p" "libferry \(= $debver\)"
  needs "$p" "libferry-server \(= $debver\)"
done
needs ferry-tools 'libpqxx-[0-9.]+( \(.*\))?'
needs ferry-tools 'libsystemd0( \(.*\))?'
if [ -n "${FERRY_PYTHON:-}" ]; then
  needs python3-ferry "libferry \(= $debver\)"
  needs python3-ferry "libferry-server \(= $debver\)"
  needs python3-ferry "python3 \(>= $py~\)"
  needs python3-ferry "python3 \(<< ${py%%.*}\.$((${py#*.} + 1))\)"
fi
# The libraries' shlibs (what a package built against libferry-dev depends on), and ldconfig.
for p in libferry libferry-server; do
  grep -q ldconfig <<<"$(dpkg-deb -I "$(deb "$p")" postinst)" || fail "$p's postinst does not run ldconfig"
done
shlibs=$(dpkg-deb -I "$(deb libferry)" shlibs 2>/dev/null) || fail "libferry has no shlibs file"
grep -qx "libferry $so libferry (>= $debver)" <<<"$shlibs" || fail "libferry's shlibs: $shlibs"
grep -qx "libferry_c $so libferry (>= $debver)" <<<"$shlibs" || fail "libferry's shlibs: $shlibs"

# Every ELF file: no RPATH or RUNPATH (the libraries are in the loader's path), no debug sections;
# the libraries carry their SONAME.
for p in "${pkgs[@]}"; do dpkg-deb -x "$(deb "$p")" "$work/root"; done
elves=0
while IFS= read -r f; do
  [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
  elves=$((elves + 1))
  dynamic=$(readelf -d "$f")
  ! grep -Eq '\((RPATH|RUNPATH)\)' <<<"$dynamic" || fail "${f#"$work/root"} has an RPATH: $(grep -E 'R(UN)?PATH' <<<"$dynamic")"
  ! grep -q '\.debug_info' <<<"$(readelf -S "$f")" || fail "${f#"$work/root"} is not stripped"
done < <(find "$work/root" -type f)
[ "$elves" -eq $((${#pkgs[@]} + 1)) ] || fail "$elves ELF files in the packages"  # 4 libraries, ferry, the module
for l in libferry libferry_c libferry_server libferry_c_server; do
  grep -q "SONAME.*\[$l\.so\.$so\]" <<<"$(readelf -d "$work/root/$libdir/$l.so.$version")" || fail "$l has no SONAME $l.so.$so"
done

# --- Installed for real -----------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  why="installing the packages needs root or sudo without a password"
  if [ "${CI:-}" = true ] || [ "${FERRY_REQUIRE_DEBS:-}" = 1 ]; then
    fail "$why, and CI=true (or FERRY_REQUIRE_DEBS=1) requires this test"
  fi
  note "the packages are built and their contents checked; $why: SKIPPED (outside CI only)"
  exit 77
fi
command -v apt-get >/dev/null || fail "apt-get is missing"
apt() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; }
installed() {  # those of the named packages that are installed (dpkg-query fails on unknown ones)
  { dpkg-query -W -f='${binary:Package}\t${Status}\n' "$@" 2>/dev/null || true; } | awk -F'\t' '$2 ~ / installed$/ {print $1}'
}

# A run killed in the middle (a ctest timeout) leaves its marker; anything else installed is not ours.
marker=/var/tmp/ferry-packaging-debs.installed
present=$(installed "${pkgs[@]}" python3-ferry | tr '\n' ' ')
if [ -n "$present" ]; then
  [ -f "$marker" ] || fail "Ferry's packages are installed already ($present), not by this test: remove them to run it"
  note "purging what a killed run left installed: $present"
  apt purge -y $present >"$work/apt-leftover.log" 2>&1 || { cat "$work/apt-leftover.log" >&2; fail "cannot purge $present"; }
fi

debs=(); for p in "${pkgs[@]}"; do debs+=("$(deb "$p")"); done
# What apt will install: Ferry's packages, and any dependency this machine lacks; all purged at the end.
new=$(apt -s install --no-install-recommends "${debs[@]}" 2>/dev/null | awk '/^Inst /{print $2}' | tr '\n' ' ')
for p in "${pkgs[@]}"; do
  [[ " $new " == *" $p "* ]] || fail "apt-get would not install $p (it plans: $new)"
done
purge() {
  local left; left=$(installed $new | tr '\n' ' ')
  [ -z "$left" ] || apt purge -y $left >"$work/apt-purge.log" 2>&1 || { cat "$work/apt-purge.log" >&2; return 1; }
  [ -z "$(installed $new)" ] || return 1
  rm -f "$marker"
}
touch "$marker"
trap 'rc=$?; purge || { echo "packaging.debs: FAILED: could not purge $new" >&2; rc=1; }; rm -rf "$work"; exit $rc' EXIT
apt install -y --no-install-recommends "${debs[@]}" >"$work/apt.log" 2>&1 ||
  { tail -n 30 "$work/apt.log" >&2; fail "apt-get install failed (its log above)"; }
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${Version}' "$p")" = "$debver" ] || fail "$p $debver is not installed"
done
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
grep -q "libferry\.so\.$so " <<<"$("$ldconfig" -p)" || fail "libferry.so.$so is not in the loader's cache (ldconfig)"

# Everything below runs with no Ferry-specific search path, from a directory with nothing of Ferry.
unset CMAKE_PREFIX_PATH PKG_CONFIG_PATH LD_LIBRARY_PATH PYTHONPATH ferry_DIR
cd "$work"
resolved() {  # BINARY LIB: where the loader finds LIB for BINARY is the package's library directory
  local loads; loads=$(ldd "$1")
  grep -Eq "^[[:space:]]$2\.so\.$so => (/usr)?/${libdir#usr/}/$2\.so\.$so " <<<"$loads" ||
    fail "$1 does not load $2 from /$libdir: $(grep "$2" <<<"$loads" || true)"
}
[ "$(/usr/bin/ferry --version)" = "ferry $version" ] || fail "ferry --version printed '$(/usr/bin/ferry --version)'"
resolved /usr/bin/ferry libferry
resolved /usr/bin/ferry libferry_server
[ "$(/usr/bin/ferry apps | sort | tr '\n' ' ')" = "$(ls "$src/sql/apps" | sort | tr '\n' ' ')" ] ||
  fail "ferry apps printed '$(/usr/bin/ferry apps | tr '\n' ' ')'"
/usr/bin/ferry init --app december --db "$work/cli.db" 2>/dev/null || fail "the installed ferry cannot create a store"
grep -q '"app": *"december"' <<<"$(/usr/bin/ferry status --db "$work/cli.db" --json)" || fail "ferry status does not show the store"

# The outside CMake project finds the package in /usr by itself.
cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release >"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log" >&2; fail "the consumer does not configure against /usr"; }
grep -qx "ferry_DIR:PATH=/$libdir/cmake/ferry" "$work/consumer/CMakeCache.txt" ||
  fail "the consumer found $(grep '^ferry_DIR' "$work/consumer/CMakeCache.txt")"
cmake --build "$work/consumer" -j2 >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log" >&2; fail "the consumer does not build"; }
out=$("$work/consumer/device_app" "$work/app.db")
[ "$out" = "rows 1 pending 1" ] || fail "device_app printed '$out'"
resolved "$work/consumer/device_app" libferry
out=$("$work/consumer/server_app")
[ "$out" = "connection transient" ] || fail "server_app printed '$out'"
resolved "$work/consumer/server_app" libferry_server

# A plain C program with pkg-config.
[ "$(pkg-config --modversion ferry-c)" = "$version" ] || fail "pkg-config --modversion ferry-c is '$(pkg-config --modversion ferry-c)'"
[ "$(realpath "$(pkg-config --variable=libdir ferry-c)")" = "$(realpath "/$libdir")" ] ||
  fail "ferry-c.pc's libdir is $(pkg-config --variable=libdir ferry-c)"
gcc -std=c99 "$src/tests/packaging/consumer/c_app.c" $(pkg-config --cflags --libs ferry-c) -o "$work/c_app"
out=$("$work/c_app" "$work/c.db")
[ "$out" = "changed 1 email c@example.com version $version" ] || fail "the C program printed '$out'"
resolved "$work/c_app" libferry_c

# Debian's Python finds the module by itself (-I: no PYTHONPATH, no user site, not the cwd).
if [ -n "${FERRY_PYTHON:-}" ]; then
  out=$(/usr/bin/python3 -I -c "import ferry, os; s = ferry.Store('$work/py.db', 'december')
print(os.path.dirname(ferry.__file__), ferry.__version__, s.status()['pending_changes'])")
  [ "$out" = "/usr/lib/python3/dist-packages $version 0" ] || fail "/usr/bin/python3 -c 'import ferry' printed '$out'"
fi

# --- Removed ----------------------------------------------------------------------------------
purge || fail "could not purge $new"
[ ! -e /usr/bin/ferry ] && [ ! -e "/$libdir/libferry.so.$so" ] && [ ! -e /usr/include/ferry ] ||
  fail "files are left after the purge: $(ls -d /usr/bin/ferry "/$libdir"/libferry* /usr/include/ferry 2>/dev/null | tr '\n' ' ')"
! grep -q "libferry\.so\.$so " <<<"$("$ldconfig" -p)" || fail "libferry.so.$so is still in the loader's cache"
note "ok (${pkgs[*]}: contents, Depends, shlibs, no RPATH; installed with apt-get, CMake and pkg-config consumers, ferry, Python; purged)"
