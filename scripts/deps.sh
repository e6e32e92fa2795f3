#!/bin/sh
# deps.sh — install the Debian packages ots needs to build, test, fuzz,
# benchmark and run its demo (the list is ../shared/DEPENDENCIES.md's).
# Run as root, or with sudo available.  Idempotent: installs only what is
# missing, so `make` may call it whenever a library is not found.
set -eu

PKGS="build-essential pkg-config libcurl4-openssl-dev libzstd-dev libroaring-dev
liburing-dev libxlsxwriter-dev libmodbus-dev libcmocka-dev libbenchmark-dev
libedit-dev libmicrohttpd-dev libjansson-dev libxxhash-dev libyaml-dev clang-14
libclang-rt-14-dev python3-pymodbus python3-serial python3-serial-asyncio
python3-openpyxl python3-pandas gdal-bin sqlite3 tzdata wrk curl zstd tmux"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps.sh: all packages present"
    exit 0
fi
echo "deps.sh: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -o DPkg::Lock::Timeout=120
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=120 $missing
