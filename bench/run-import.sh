#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Import benchmark, as a new user would meet it: N generated customers (default 1,000,000)
# written as people write them (phones with +86, spaces, hyphens or full-width digits, about
# a tenth of optional fields empty) imported into a fresh vault, against sqlcipher's .import
# of the same CSV into a whole-file encrypted database (PRAGMA key), the two interleaved
# (pivault, sqlcipher, pivault, sqlcipher...) so that both meet the same load; then
# find-by-phone lookups, in random order, on the last vault. Medians are printed.
# Usage: bench/run-import.sh [N] [WORK_DIR]
# Environment: BUILD (build directory, default build), ROUNDS (default 3), CSV (an existing
# file to use instead of generating one), CANONICAL=1 (phones always as +86 and 11 digits,
# the form earlier benches used), LOOKUPS (default 100000; 0: none).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${2:-$(mktemp -d /tmp/pvbench-XXXXXX)}
build=${BUILD:-build}
rounds=${ROUNDS:-3}
lookups=${LOOKUPS:-100000}
[[ -x $build/bench/bench_import ]] || scripts/setup.sh "$build"
command -v sqlcipher >/dev/null || {
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y -qq sqlcipher >/dev/null; fi
}
command -v sqlcipher >/dev/null || { echo "sqlcipher is not installed (apt-get install sqlcipher)"; exit 1; }
mkdir -p "$work"
csv=${CSV:-$work/customers.csv}
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); N=$n; build $build"
if [[ -z ${CSV:-} ]]; then
  "$build/pvgen" -n "$n" ${CANONICAL:+--canonical} -o "$csv"
fi
[[ -f $work/root.key ]] || "$build/pivault" keygen "$work/root.key"

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk "BEGIN{print $e - $s}"; }
median() { sort -g | awk '{a[NR]=$1} END{print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

pv_times=() pv_rss=() sc_times=() ratios=()
for ((r = 1; r <= rounds; r++)); do
  rm -rf "$work/vault" "$work/vault.keyring" "$work/vault.keyring.ledger" "$work/cipher.db"
  sync
  echo "round $r ($(uptime | sed 's/.*load/load/'))"
  out=$("$build/bench/bench_import" "$csv" "$work/vault" "$work/root.key")
  echo "$out" | grep -v '^pivault_' | sed 's/^/  /'
  pv=$(echo "$out" | awk -F= '/^pivault_seconds=/{print $2}')
  pv_rss+=("$(echo "$out" | awk -F= '/^pivault_rss_mib=/{print $2}')")
  sync
  sc=$(seconds sqlcipher "$work/cipher.db" "PRAGMA key='bench-passphrase';" ".mode csv" ".import $csv t")
  printf '  sqlcipher .import: %.2f s; pivault/sqlcipher = %.2f\n' "$sc" "$(awk "BEGIN{print $pv / $sc}")"
  pv_times+=("$pv") sc_times+=("$sc") ratios+=("$(awk "BEGIN{print $pv / $sc}")")
done
m_pv=$(printf '%s\n' "${pv_times[@]}" | median)
m_sc=$(printf '%s\n' "${sc_times[@]}" | median)
printf 'median of %d: pivault %.2f s (%.0f records/s, peak RSS max %.1f MiB), sqlcipher %.2f s, ' \
  "$rounds" "$m_pv" "$(awk "BEGIN{print $n / $m_pv}")" \
  "$(printf '%s\n' "${pv_rss[@]}" | sort -g | tail -1)" "$m_sc"
printf 'ratio pivault/sqlcipher %.2f (per round: %s)\n' "$(printf '%s\n' "${ratios[@]}" | median)" \
  "${ratios[*]}"
if ((lookups > 0)); then
  "$build/bench/bench_lookup" "$work/vault" "$work/root.key" "$csv" "$lookups"
  echo "-- the same lookups on two threads, their audit entries through one writer"
  "$build/bench/bench_lookup" "$work/vault" "$work/root.key" "$csv" "$lookups" --threads 2
fi
echo "load after: $(uptime | sed 's/.*load/load/')"
echo "work files in $work (the CSV holds generated, not real, personal data)"
