#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz/run.sh TARGET|all SECONDS: build the libFuzzer targets with clang (ASan + UBSan) in
# build-fuzz/ (PV_FUZZ_BUILD overrides), then run each target for SECONDS seconds on its
# seed corpus (fuzz/corpus/TARGET, read only) and a working corpus (build-fuzz/corpus/
# TARGET, where new inputs go), and print libFuzzer's final figures per target: coverage
# (cov, ft), executions and executions per second. A crash leaves its input in
# build-fuzz/crashes/TARGET/ and makes the script exit 1 after the other targets ran: fix
# the bug, then add the input to fuzz/corpus/TARGET/ so the CTest replay keeps it fixed.
# The targets' own files (vaults, packages) go under PV_FUZZ_TMP (default build-fuzz/tmp):
# a tmpfs there (PV_FUZZ_TMP=/dev/shm/NAME) spares the targets that write a vault the disk's
# sync latency. Needs clang (Debian: apt-get install clang), which ships libFuzzer.
set -eu
targets_all="csv schema age minisign tar receipt certificate audit_proof backup handover"
if [ $# -ne 2 ]; then
	echo "usage: fuzz/run.sh TARGET|all SECONDS   (targets: $targets_all)" >&2
	exit 2
fi
if [ "$1" = all ]; then targets=$targets_all; else targets=$1; fi
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PV_FUZZ_BUILD:-$root/build-fuzz}
jobs=${PV_FUZZ_JOBS:-2}
tmp=${PV_FUZZ_TMP:-$build/tmp}

CC=clang cmake -S "$root" -B "$build" -DPV_FUZZ=ON -DBUILD_TESTING=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in $targets; do set -- "$@" "fuzz_$t"; done
shift 2
cmake --build "$build" -j"$jobs" --target "$@" >/dev/null

failed=0
summary=""
for t in $targets; do
	mkdir -p "$build/corpus/$t" "$build/crashes/$t"
	log="$build/fuzz_$t.log"
	echo "== $t: ${seconds}s"
	status=0
	rm -rf "${tmp:?}/$t" && mkdir -p "$tmp/$t" # the targets' own files
	TMPDIR="$tmp/$t" UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
		-artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "$root/fuzz/corpus/$t" \
		>"$log" 2>&1 || status=$?
	rm -rf "${tmp:?}/$t"
	done_line=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$done_line" | sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
	line="$t: cov $cov, ft $ft, corpus $corp, execs ${execs:-?}, exec/s ${rate:-?}"
	if [ "$status" -ne 0 ]; then
		failed=1
		line="$line, FAILED (exit $status; see $log and $build/crashes/$t/)"
	fi
	echo "$line"
	summary="$summary$line
"
done
printf '\n== summary\n%s' "$summary"
exit $failed
