#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run one test program with its vaults kept in PostgreSQL: the suite's second backend
# (CTest label postgresql, tests named pg:...). The cluster is the one scripts/test.sh
# starts (PIVAULT_TEST_PG: its URI; the password in PGPASSFILE); every vault a test makes,
# through the library or the command, gets a schema of its own there. Without a cluster
# the test reports itself skipped (77), and fails where PV_REQUIRE_POSTGRESQL=1 (CI) says
# it must run.
if [[ -z ${PIVAULT_TEST_PG:-} ]]; then
  if [[ ${PV_REQUIRE_POSTGRESQL:-} == 1 ]]; then
    echo "with_postgresql: PV_REQUIRE_POSTGRESQL=1 but no cluster (PIVAULT_TEST_PG)" >&2
    exit 1
  fi
  echo "with_postgresql: no cluster (PIVAULT_TEST_PG): skipped" >&2
  exit 77
fi
export PIVAULT_STORE=$PIVAULT_TEST_PG
exec "$@"
