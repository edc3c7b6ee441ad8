#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The shared library exports only the public pv_ functions: anything else is an internal
# name leaking through. Usage: check_exports.sh LIBRARY
set -euo pipefail
lib=$1
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | grep -v '^pv_' || true)
count=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^pv_/' | wc -l)
if [[ -n $bad ]]; then
  echo "exported symbols without the pv_ prefix:"; echo "$bad"; exit 1
fi
if ((count < 10)); then
  echo "only $count pv_ functions exported: the public API is missing"; exit 1
fi
echo "$count pv_ functions exported, nothing else"
