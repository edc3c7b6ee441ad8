#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The house rules a newcomer relies on, measured rather than promised (src/README.md):
# 1. calls between the library's .c files go one way: no file calls a file that calls it
#    back, directly or through others (read from the object files with nm);
# 2. no function in src/, cli/ or server/ is longer than 80 lines (from the opening brace at the
#    start of a line to the closing one).
# Usage: check_layout.sh SOURCE_DIR OBJECT...
set -euo pipefail
src=$1
shift
fail=0

# 1. One line per object: "file defines..." then "file uses...", then a closure in awk.
graph=$(for o in "$@"; do
  name=${o#*pivault_obj.dir/}
  name=${name%.c.o}
  nm "$o" | awk -v n="$name" '$2 ~ /^[TDBR]$/ {print "D", n, $3} $1 == "U" {print "U", n, $2}'
done)
loops=$(awk '
  $1 == "D" { owner[$3] = $2; files[$2] = 1 }
  $1 == "U" { uses[++u] = $2 SUBSEP $3 }
  END {
    for (i = 1; i <= u; i++) {
      split(uses[i], p, SUBSEP)
      if ((p[2] in owner) && owner[p[2]] != p[1]) reach[p[1], owner[p[2]]] = 1
    }
    for (k in files) for (i in files) if ((i, k) in reach) for (j in files)
      if ((k, j) in reach) reach[i, j] = 1
    for (i in files) for (j in files)
      if (i < j && ((i, j) in reach) && ((j, i) in reach)) print "  " i " <-> " j
  }' <<<"$graph" | sort)
if [[ -n $loops ]]; then
  echo "call loops between .c files of the library (each calls the other, maybe through others):"
  echo "$loops"
  fail=1
fi
nobj=$#
if ((nobj < 20)); then
  echo "only $nobj object files given: the library's objects are missing"; exit 1
fi

# 2. Function lengths, in the code's own style (braces of a function at the line start).
long=$(find "$src/src" "$src/cli" "$src/server" -name '*.c' -print0 | xargs -0 awk '
  FNR == 1 { start = 0 }
  /^\{/ { start = FNR }
  /^\}/ && start { n = FNR - start + 1; if (n > 80) print "  " FILENAME ":" start ": " n " lines"; start = 0 }')
if [[ -n $long ]]; then
  echo "functions over 80 lines:"
  echo "$long"
  fail=1
fi
((fail == 0)) && echo "$nobj library objects: no call loop; no function over 80 lines in src/, cli/ or server/"
exit $fail
