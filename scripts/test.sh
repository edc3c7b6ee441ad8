#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Set up (install, configure, build) and run every test under CTest.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
scripts/setup.sh "$build" "$@"
# The PostgreSQL store's tests (CTest label postgresql) run against a throwaway cluster on
# loopback, started here where PostgreSQL is installed (scripts/setup.sh installs it) and
# removed at the end; without one they report themselves skipped (failed in CI:
# PV_REQUIRE_POSTGRESQL=1). Its fsync is off (PV_PG_FSYNC): the tests check what pivault sends
# and when it commits, not PostgreSQL's own flush to the disk (none cuts the power), and the
# suite runs every test program on it a second time; the benchmarks' clusters keep it on.
if [[ -z ${PIVAULT_TEST_PG:-} ]] && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  pgdir=$(mktemp -u /tmp/pivault-pg.XXXXXX)
  if PV_PG_FSYNC=off bash scripts/pg-cluster.sh start "$pgdir"; then
    trap 'bash scripts/pg-cluster.sh stop "$pgdir"' EXIT
    PIVAULT_TEST_PG=$(cat "$pgdir/conninfo")
    export PIVAULT_TEST_PG PGPASSFILE=$pgdir/pgpass
    # its files, for the tests that search them for clear text (test_noplaintext)
    export PIVAULT_TEST_PG_DATA=$pgdir/data
  else
    echo "test: no PostgreSQL cluster could be started; its tests report themselves skipped" >&2
  fi
fi
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
