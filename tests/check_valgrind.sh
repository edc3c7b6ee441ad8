#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The command under valgrind's memcheck: init, import, get, find, shred and a handover
# export (root-secret sessions, the test build's fast Argon2id) must run with no memory
# error and no definite leak. Not registered in sanitizer builds (valgrind cannot run
# them). Usage: check_valgrind.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-fds=no)
pv() { "${vg[@]}" "$build/pivault-test" "$@"; }
"$build/pivault-test" keygen "$work/root.key" > /dev/null
printf 'admin-password-1\n' > "$work/admin.pw"
export PIVAULT_KEY_FILE=$work/root.key PIVAULT_VAULT=$work/vault
PIVAULT_PASSWORD_FILE=$work/admin.pw pv init "$work/vault" --schema "$src/examples/schema.yaml" \
  --slots 1024 > /dev/null
"$build/pvgen" -n 50 --seed 3 --canonical -o "$work/in.csv"
pv import "$work/in.csv" --role admin > /dev/null
pv get C00000001 --purpose all --role admin > /dev/null
phone=$(awk -F, 'NR == 2 {for (i = 1; i <= NF; i++) if (h[i] == "phone") print $i; next}
                 {for (i = 1; i <= NF; i++) h[i] = $i}' "$work/in.csv" | head -n 1)
pv find --phone "$phone" --purpose all --role admin > /dev/null
pv shred C00000002 --role admin -o "$work/cert.json" > /dev/null
age-keygen -o "$work/buyer.age" 2> /dev/null
age-keygen -y "$work/buyer.age" > "$work/buyer.pub"
plan=$(pv transfer plan --recipient-name Buyer --recipient-contact dpo@buyer.example \
  --recipient-key "$work/buyer.pub" --deadline "$(date -u +%F)" --role admin --json | sed 's/.*"transfer":"\([^"]*\)".*/\1/')
pv handover export "$plan" -o "$work/package.age" --role admin > /dev/null
echo "memcheck: init, import, get, find, shred, transfer plan and handover export clean"
