#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Set up (install, configure, build) and run every test under CTest.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
scripts/setup.sh "$build" "$@"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
