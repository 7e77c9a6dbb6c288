#!/usr/bin/env bash
# scripts/deps.sh: installs the Debian packages Ferry needs to build and test, if any is missing.
# Safe to run again; does nothing when everything is there. Needs root (or sudo) to install.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsqlite3-dev sqlite3 libsqlitecpp-dev nlohmann-json3-dev catch2
  libpqxx-dev libpq-dev libcli11-dev
  libcpp-httplib-dev libjwt-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libzstd-dev libsystemd-dev pgbouncer
  postgresql-15 postgresql-common postgresql-client-15
  chromium
  python3 python3-dev pybind11-dev python3-pytest
  dpkg-dev file   # the Debian packages: dpkg-shlibdeps, and file for CPack (tests/packaging/test_debs.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "ferry: installing missing Debian packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "ferry: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
