#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Handover benchmark: N generated customers (default 1,000,000) in a seller vault, then
# the handover package exported (decrypt, hash, tar, age-encrypt, sign) and imported into
# an empty buyer vault (decrypt, verify, re-encrypt under the buyer's keys): records/s,
# MB/s and peak RSS of each; then the real age tool decrypting and encrypting the same
# plaintext archive, and pivault's age stage on the same bytes, with the ratios.
# The plaintext archive for the age comparison lives in /dev/shm (memory) and is removed.
# Usage: bench/run-handover.sh [N] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${2:-$(mktemp -d /tmp/pvbench-XXXXXX)}
scripts/setup.sh build
if ! [ -x /usr/bin/time ]; then apt-get install -y -qq time > /dev/null; fi
pv=$PWD/build/pivault
mkdir -p "$work" && cd "$work"
rm -rf seller seller.keyring* buyer buyer.keyring* ./*.key id.age pkg.age pkg.age.receipt.json
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); N=$n"
"$OLDPWD/build/pvgen" -n "$n" --canonical -o customers.csv
"$pv" keygen seller.key > /dev/null && "$pv" keygen buyer.key > /dev/null
"$OLDPWD/build/bench/bench_import" customers.csv seller seller.key > /dev/null
rm -f customers.csv
(umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > admin.pw)
PIVAULT_KEY_FILE=buyer.key PIVAULT_PASSWORD_FILE=admin.pw \
  "$pv" init buyer --schema "$OLDPWD/examples/schema.yaml" --admin admin > /dev/null
age-keygen -o id.age 2> /dev/null
plan=$(PIVAULT_VAULT=seller PIVAULT_KEY_FILE=seller.key "$pv" transfer plan --role admin \
  --recipient-name Bench --recipient-contact bench@example.cn --recipient-key id.age \
  --deadline "$(date -u +%F)" --json | sed 's/.*"transfer":"\([^"]*\)".*/\1/')

# run LABEL COMMAND...: wall seconds and peak RSS (KiB) of one command
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o time.out "$@" > "$label.out"
  read -r secs rss < time.out
}
run export env PIVAULT_VAULT=seller PIVAULT_KEY_FILE=seller.key "$pv" handover export "$plan" \
  -o pkg.age --role admin --json
bytes=$(stat -c %s pkg.age)
records=$(sed -n 's/.*"records":\([0-9]*\).*/\1/p' export.out)
awk -v r="$records" -v b="$bytes" -v s="$secs" -v m="$rss" 'BEGIN {
  printf "export: %d records, %.1f MB in %.2f s: %.0f records/s, %.1f MB/s, peak RSS %.1f MiB\n",
         r, b / 1e6, s, r / s, b / 1e6 / s, m / 1024 }'
run import env PIVAULT_VAULT=buyer PIVAULT_KEY_FILE=buyer.key "$pv" handover import pkg.age \
  --identity id.age --role admin --json
awk -v r="$records" -v b="$bytes" -v s="$secs" -v m="$rss" 'BEGIN {
  printf "import: %d records, %.1f MB in %.2f s: %.0f records/s, %.1f MB/s, peak RSS %.1f MiB\n",
         r, b / 1e6, s, r / s, b / 1e6 / s, m / 1024 }'

shm=$(mktemp -d /dev/shm/pvbench-XXXXXX)
trap 'rm -rf "$shm"' EXIT
recipient=$(age-keygen -y id.age)
t0=$(date +%s.%N); age -d -i id.age pkg.age > "$shm/plain.tar"; t1=$(date +%s.%N)
age -r "$recipient" < "$shm/plain.tar" > /dev/null; t2=$(date +%s.%N)
plain=$(stat -c %s "$shm/plain.tar")
awk -v b="$plain" -v t0="$t0" -v t1="$t1" -v t2="$t2" 'BEGIN {
  printf "age tool on the %.1f MB archive: decrypt %.1f MB/s, encrypt %.1f MB/s\n",
         b / 1e6, b / 1e6 / (t1 - t0), b / 1e6 / (t2 - t1) }'
echo "pivault's age stage on the same bytes (bench_age --file):"
TMPDIR=$shm "$OLDPWD/build/bench/bench_age" --file "$shm/plain.tar" | sed 's/^/  /'
