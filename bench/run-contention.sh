#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Contention benchmark: one large import into a vault holding BASE customers, while
# READERS loops read a customer (an audited get, a short write) and one backup is taken
# in the middle; prints the import's time and, per kind of command, how many ran, how
# many failed and their slowest and median latencies.
# Usage: bench/run-contention.sh BUILD_DIR N [READERS] [WORK_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
b=${1:?build dir}; n=${2:-300000}; readers=${3:-2}
work=${4:-$(mktemp -d /tmp/pvcont-XXXXXX)}
pv=$b/pivault
mkdir -p "$work"; rm -rf "$work/v" "$work/v.keyring" "$work/key" "$work"/lat.* "$work"/err.* "$work/backup"*
"$b"/pvgen -n $((n + 1000)) --canonical -o "$work/all.csv" >/dev/null
head -1001 "$work/all.csv" >"$work/base.csv"
(head -1 "$work/all.csv"; tail -n +1002 "$work/all.csv") >"$work/big.csv"
"$pv" keygen "$work/key" >/dev/null
export PIVAULT_KEY_FILE=$work/key PIVAULT_VAULT=$work/v PIVAULT_PASSWORD_FILE=$work/pw
echo 'contention-bench-password' >"$work/pw"
"$pv" init "$work/v" --schema examples/schema.yaml >/dev/null
"$pv" import "$work/base.csv" --role admin >/dev/null
id=$(sed -n 2p "$work/base.csv" | cut -d, -f1)
now() { date +%s.%N; }
reader() { # one loop: an audited get, its latency and exit status per line
  while [[ ! -e $work/done ]]; do
    local s e rc; s=$(now); "$pv" get "$id" --role admin --purpose all >/dev/null 2>>"$work/err.$1"; rc=$?
    e=$(now); echo "$(awk "BEGIN{print $e - $s}") $rc" >>"$work/lat.$1"
  done
}
rm -f "$work/done"
t0=$(now)
"$pv" import "$work/big.csv" --role admin >/dev/null 2>"$work/import.err" &
ipid=$!
sleep 1
for r in $(seq 1 "$readers"); do reader "r$r" & done
sleep 3
s=$(now); "$pv" backup create "$work/backup" --role admin >/dev/null 2>"$work/err.backup"; rc=$?
echo "$(awk "BEGIN{print $(now) - $s}") $rc" >"$work/lat.backup"
wait $ipid; irc=$?
t1=$(now); touch "$work/done"; wait
printf 'import of %d rows: %.2f s, exit %d\n' "$n" "$(awk "BEGIN{print $t1 - $t0}")" "$irc"
for f in "$work"/lat.*; do
  sort -n "$f" | awk -v k="${f##*.}" '{l[NR]=$1; if ($2 != 0) bad++}
    END {printf "%-7s %4d runs, %d failed, median %.3f s, max %.3f s\n", k, NR, bad,
         l[int((NR+1)/2)], l[NR]}'
done
cat "$work"/err.* 2>/dev/null | sort | uniq -c | head -5
