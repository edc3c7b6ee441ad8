#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Retention benchmark: N generated customers (default 1,000,000) imported into a fresh
# vault, then one retention run as of AS_OF (default today) over them: scan time, erasure
# rate, shred rate (with bucket re-keying, keyring overwrite and certificates), peak RSS.
# Usage: bench/run-retention.sh [N] [AS_OF] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
as_of=${2:-$(date -u +%F)}
work=${3:-$(mktemp -d /tmp/pvbench-XXXXXX)}
scripts/setup.sh build
mkdir -p "$work"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); N=$n, as of $as_of"
rm -rf "$work/vault" "$work/vault.keyring" "$work/vault.keyring.ledger" "$work/root.key"
build/pvgen -n "$n" --canonical -o "$work/customers.csv"
build/pivault keygen "$work/root.key"
build/bench/bench_import "$work/customers.csv" "$work/vault" "$work/root.key" | grep -v '^pivault_seconds='
rm -f "$work/customers.csv"
build/bench/bench_retention "$work/vault" "$work/root.key" "$as_of"
