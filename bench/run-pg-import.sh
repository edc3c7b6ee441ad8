#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Import into a vault kept in PostgreSQL (issue 15), beside what a PostgreSQL user would do
# instead, in one run on one throwaway local cluster (scripts/pg-cluster.sh, fsync on):
#   1. `pivault import` of N generated customers into a fresh vault in PostgreSQL
#      (records/s, seconds, pivault's peak RSS); with SQLITE=1 (the default) the same
#      import into a fresh SQLite vault first, for reference;
#   2. psql's `\copy` of the same CSV into a plain table of text columns (no encryption);
#   3. pgcrypto encrypting 8 of those columns with pgp_sym_encrypt: with 's2k-mode=1' on a
#      sample of PGP_FAST rows (default 50,000), and with its defaults (iterated, salted
#      key derivation for every value) on PGP_SLOW rows (default 2,000).
# Usage: bench/run-pg-import.sh [-n N] [WORK_DIR]
# Environment: BUILD (build directory, default build; a Release one is what to measure),
# CSV (an existing file instead of a generated one), SQLITE=0 (no SQLite reference).
set -euo pipefail
cd "$(dirname "$0")/.."
n=1000000
if [[ ${1:-} == -n ]]; then n=$2; shift 2; fi
work=${1:-$(mktemp -d /tmp/pvpgbench-XXXXXX)}
build=${BUILD:-build}
fast=${PGP_FAST:-50000} slow=${PGP_SLOW:-2000}
[[ -x $build/pivault && -x $build/pvgen ]] || scripts/setup.sh "$build"
command -v psql >/dev/null || { echo "psql is not installed (apt-get install postgresql)"; exit 1; }
mkdir -p "$work"
cluster=$(mktemp -u /tmp/pivault-pg.XXXXXX)
bash scripts/pg-cluster.sh start "$cluster"
trap 'bash scripts/pg-cluster.sh stop "$cluster"' EXIT
uri=$(cat "$cluster/conninfo")
export PGPASSFILE=$cluster/pgpass
sql() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$uri" "$@"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN{printf "%.0f", n / s}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo);" \
  "PostgreSQL $(sql -At -c 'SHOW server_version'); N=$n; build $build; load $(cut -d' ' -f1-3 /proc/loadavg)"
csv=${CSV:-$work/customers.csv}
[[ -n ${CSV:-} ]] || "$build/pvgen" -n "$n" --seed 1 -o "$csv"
"$build/pivault" keygen "$work/root.key" >/dev/null 2>&1 || true
printf 'bench-admin-password-1\n' >"$work/admin.pw"
chmod 600 "$work/admin.pw"

# pivault import into a fresh vault (a store URI: PostgreSQL; none: SQLite)
pv_import() {
  local name=$1 dir=$work/$1; shift
  rm -rf "$dir" "$dir.keyring" "$dir.keyring.ledger"
  PIVAULT_KEY_FILE=$work/root.key PIVAULT_PASSWORD_FILE=$work/admin.pw \
    "$build/pivault" init "$dir" --schema examples/schema.yaml --admin admin "$@" >/dev/null
  local out
  out=$(PIVAULT_VAULT=$dir PIVAULT_USER=admin PIVAULT_PASSWORD_FILE=$work/admin.pw \
    PIVAULT_KEY_FILE=$work/root.key /usr/bin/time -v "$build/pivault" import "$csv" 2>&1)
  local line rss
  line=$(echo "$out" | grep '^imported ' | tail -1)
  rss=$(echo "$out" | awk -F': ' '/Maximum resident set size/{printf "%.1f", $2 / 1024}')
  echo "pivault import into $name: $line; peak RSS $rss MiB"
}
if [[ ${SQLITE:-1} == 1 ]]; then pv_import sqlite; fi
pv_import postgresql --store "$uri"

# psql \copy of the same CSV into a plain table, every column text
cols=$(head -1 "$csv" | tr -d '\r' | sed 's/,/ text, /g; s/$/ text/')
sql -c "DROP TABLE IF EXISTS plain; CREATE TABLE plain($cols)"
t0=$(now)
sql -c "\\copy plain FROM '$csv' WITH (FORMAT csv, HEADER true)"
t1=$(now)
rows=$(sql -At -c "SELECT count(*) FROM plain")
s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
printf 'psql \\copy (plain text columns): %d rows in %.2f s (%s rows/s)\n' "$rows" "$s" "$(rate "$rows" "$s")"

# pgcrypto, 8 columns a row, on a sample
sql -c "CREATE EXTENSION IF NOT EXISTS pgcrypto"
pgp() {
  local limit=$1 opts=$2 label=$3 e="" c
  for c in name phone id_number email address bank_card company_uscc preferences; do
    e+=", pgp_sym_encrypt($c, 'bench-passphrase'${opts:+, '$opts'}) AS $c"
  done
  sql -c "DROP TABLE IF EXISTS enc"
  t0=$(now)
  sql -c "CREATE TABLE enc AS SELECT customer_id$e FROM (SELECT * FROM plain LIMIT $limit) x"
  t1=$(now)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
  printf 'pgcrypto pgp_sym_encrypt, 8 columns, %s: %d rows in %.2f s (%s rows/s)\n' "$label" \
    "$limit" "$s" "$(rate "$limit" "$s")"
}
pgp "$fast" s2k-mode=1 "s2k-mode=1"
pgp "$slow" "" "defaults"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work files in $work (the CSV holds generated, not real, personal data)"
