#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Import benchmark: N generated customers (default 1,000,000) into a fresh vault, against
# the sqlite3 tool's .import into a plain table and sqlcipher's .import into a whole-file
# encrypted database, on the same CSV; then find-by-phone lookups on the new vault.
# Usage: bench/run-import.sh [N] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${2:-$(mktemp -d /tmp/pvbench-XXXXXX)}
scripts/setup.sh build
command -v sqlcipher >/dev/null || {
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y -qq sqlcipher >/dev/null; fi
}
mkdir -p "$work"
csv=$work/customers.csv
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); N=$n"
build/pvgen -n "$n" --canonical -o "$csv"
rm -rf "$work/vault" "$work/vault.keyring" "$work/root.key" "$work/plain.db" "$work/cipher.db"
build/pivault keygen "$work/root.key"
sync
out=$(build/bench/bench_import "$csv" "$work/vault" "$work/root.key")
echo "$out" | grep -v '^pivault_seconds='
pv=$(echo "$out" | awk -F= '/^pivault_seconds=/{print $2}')

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l 2>/dev/null || awk "BEGIN{print $e - $s}"; }
t_sqlite=$(seconds sqlite3 "$work/plain.db" ".mode csv" ".import $csv t")
printf 'sqlite3 .import: %.2f s; pivault/sqlite3 = %.2f\n' "$t_sqlite" "$(awk "BEGIN{print $pv / $t_sqlite}")"
if command -v sqlcipher >/dev/null; then
  t_cipher=$(seconds sqlcipher "$work/cipher.db" "PRAGMA key='bench-passphrase';" ".mode csv" ".import $csv t")
  printf 'sqlcipher .import: %.2f s; pivault/sqlcipher = %.2f\n' "$t_cipher" "$(awk "BEGIN{print $pv / $t_cipher}")"
else
  echo "sqlcipher: not installed (apt-get install sqlcipher), skipped"
fi
build/bench/bench_lookup "$work/vault" "$work/root.key" "$csv" 100000
echo "work files in $work (the CSV holds generated, not real, personal data)"
