#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Set-up for a fresh Debian 12 machine: installs the build tools and libraries pivault
# needs (when run as root and something is missing), then configures and builds.
# Usage: scripts/setup.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true

# chromium: the compliance report's HTML page is rendered headless by a test
# (tests/check_report_html.sh), which is skipped where it is absent. libcurl4-gnutls-dev: the
# command as a client of `pivault serve` (PIVAULT_SERVER; HTTPS with the server pinned).
packages=(gcc make cmake pkg-config libsodium-dev libsqlite3-dev libcsv-dev libyaml-dev
          libjansson-dev libutf8proc-dev libcmocka-dev sqlite3 age minisign tar valgrind
          libmicrohttpd-dev gnutls-bin chromium libcurl4-gnutls-dev)
# libpq-dev: the PostgreSQL store (issue 15); postgresql: the server its tests start a
# throwaway cluster of (scripts/pg-cluster.sh, from scripts/test.sh)
packages+=(libpq-dev postgresql)
# the web console's end-to-end test (tests/check_console.sh): node and npm run its driver
# (playwright-core from npm, tests/console/package-lock.json) against that chromium, and a
# Chinese font draws the console's Chinese strings in its screenshots
packages+=(fonts-wqy-microhei)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm: Debian's nodejs and npm, unless the commands are there already (a node
# from elsewhere brings its own npm, which Debian's npm package would conflict with)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -eq 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing packages ${missing[*]}; install them as root" >&2
    exit 1
  fi
fi

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
