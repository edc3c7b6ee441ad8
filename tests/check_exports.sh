#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The shared library exports exactly the functions include/pivault.h declares: anything
# else is an internal name leaking through, and the test switch (pv_test_control,
# include/pivault_testing.h) must be in none of the release builds (shared and static
# library, command), only in the test library.
# Usage: check_exports.sh LIBRARY PIVAULT_H PIVAULT STATIC_LIBRARY TESTING_STATIC_LIBRARY
set -euo pipefail
lib=$1 header=$2 cli=$3 static=$4 testing=$5
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sort)
declared=$(tr '\n' ' ' <"$header" | grep -oE 'PV_API [^(;#/]*[^A-Za-z0-9_]pv_[A-Za-z0-9_]+ *\(' |
  sed -E 's/.*[^A-Za-z0-9_](pv_[A-Za-z0-9_]+) *\($/\1/' | sort -u)
if [[ $exported != "$declared" ]]; then
  echo "exported by $lib but not declared in $header:"
  comm -23 <(echo "$exported") <(echo "$declared")
  echo "declared in $header but not exported:"
  comm -13 <(echo "$exported") <(echo "$declared")
  exit 1
fi
for bin in "$lib" "$cli" "$static"; do
  if nm "$bin" 2>/dev/null | grep -q -E ' [TtDd] (pv_test_control|[A-Za-z0-9_]*_for_tests)$'; then
    echo "$bin holds a test hook"; exit 1
  fi
done
# the same look finds the switch where it belongs, so the check above can fail
nm "$testing" 2>/dev/null | grep -q -E ' T pv_test_control$' ||
  { echo "$testing lacks pv_test_control"; exit 1; }
echo "$(echo "$exported" | wc -l) pv_ functions exported, as declared; no test hook in the release builds"
