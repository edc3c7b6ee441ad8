#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Crash consistency: long operations killed with SIGKILL at random moments (issue 11).
# A vault of generated customers (mixed spellings, empty optional fields) is made once;
# for each operation (import, shred of many ids, retention apply, rekey, rekey --data,
# handover import, handover confirm, restore) a reference run on a copy measures its
# duration and its right result, then each kill runs it on a fresh copy, kills it after a
# random delay spread over that duration, and checks:
#   the vault opens and `audit verify` passes;
#   every customer is either there and readable in full (an export in clear decrypts them
#     all; each line is the one before the operation or the one after it) or absent with
#     its shred on record (the shred ledger beside the keyring, or a certificate);
#   no shredded customer is readable, in the vault or in an earlier copy of the data
#     opened with the live keyring;
#   an import (CSV or handover) is all or nothing;
#   the keyring and its ledger agree: the backup taken before the operation, restored
#     under the live keyring, holds exactly the customers still there, all readable;
#   when the kill left a keyring journal, a restore done before anything else (on a copy)
#     neither damages the live vault nor brings a shredded customer back;
#   running the operation again completes, and its result is the reference one.
# Each failure is printed with the check that failed and where its state is kept:
# WORK/failures/OP-K/killed (as the kill left it) and .../before (what the operation
# started from); the first three failing kills of each operation are kept.
#
# Usage: crash_harness.sh BUILD_DIR SOURCE_DIR [--long] [--customers N] [--kills K]
#                         [--ops op,op,...] [--seed S] [--work DIR]
# Short mode (CTest): 100 customers, 2 kills per operation. --long: 20,000 customers and
# 26 kills per operation (208 in all). Exit 0 when every check held, 1 otherwise.
set -uo pipefail
export LC_ALL=C # byte order for sort and comm: fast, and the ids' order
build=$1 src=$2
shift 2
customers=100 kills=2 seed=$$ work=
ops=import,shred,retention,rekey,rekey-data,handover-import,handover-confirm,restore
while (($#)); do
  case $1 in
    --long) customers=20000 kills=26 ;;
    --customers) customers=$2; shift ;;
    --kills) kills=$2; shift ;;
    --ops) ops=$2; shift ;;
    --seed) seed=$2; shift ;;
    --work) work=$2; shift ;;
    *) echo "crash_harness: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
RANDOM=$seed
pv=$build/pivault-test
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/pv-crash.XXXXXX")
else
  rm -rf "$work" && mkdir -p "$work"
fi
work=$(cd "$work" && pwd)
failures=0
export PIVAULT_KEY_FILE=$work/root.key
unset PIVAULT_VAULT PIVAULT_USER PIVAULT_PASSWORD_FILE PIVAULT_PASSPHRASE_FILE PIVAULT_KEYRING
today=$(date -u +%F)
# Retention as of a fixed date: part of the customers are due (shred), others have only
# their preferences due (erase).
as_of=2026-01-01
note() { printf '%s\n' "$*"; }
now_ns() { date +%s%N; }

# ---- running pivault on a state directory (vault/, vault.keyring, its ledger, files) ----

# on DIR ARGS...: pivault on DIR's vault with the root key, acting as admin
on() { local d=$1; shift; "$pv" "$@" --vault "$d/vault" --role admin; }
# export_of DIR OUT: every customer in clear, one JSON line each (id order); exit status
export_of() { on "$1" export --format jsonl --clear --purpose all > "$2" 2> "$2.err"; }
ids_of() { sed -n 's/^{"customer_id":"\([^"]*\)".*/\1/p' "$1"; }
# ids on record as shredded beside DIR's keyring: ledger lines and certificates
shred_record() {
  local d=$1
  {
    [[ -f $d/vault.keyring.ledger ]] && grep -ao '"id":"C[0-9]*"' "$d/vault.keyring.ledger" |
      sed 's/.*"\(C[0-9]*\)"/\1/'
    for c in "$d"/*.cert.json; do
      [[ -s $c ]] && grep -ao '"C[0-9]\{8\}"' "$c" | tr -d '"'
    done
  } | sort -u
}

# ---- the operations: how each starts, how it is run again ----

# op_argv OP DIR [TAG]: the command line of OP on the state DIR into argv (TAG names the
# files it writes); op_run runs it
op_argv() {
  local op=$1 d=$2 tag=${3:-run}
  local v=(--vault "$d/vault" --role admin)
  case $op in
    import) argv=("$pv" import "$d/new.csv" "${v[@]}") ;;
    shred) mapfile -t argv < "$d/targets"
      argv=("$pv" shred "${argv[@]}" -o "$d/$tag.cert.json" "${v[@]}") ;;
    retention) argv=("$pv" retention apply --as-of "$as_of" -o "$d/$tag.cert.json" "${v[@]}") ;;
    rekey) argv=("$pv" rekey "${v[@]}") ;;
    rekey-data) argv=("$pv" rekey --data "${v[@]}") ;;
    handover-import) argv=("$pv" handover import "$d/package.age" --identity "$d/buyer.age"
                           --receipt "$d/$tag.receipt.json" "${v[@]}") ;;
    handover-confirm) argv=("$pv" handover confirm "$d/receipt.json" -o "$d/$tag.cert.json"
                            "${v[@]}") ;;
    restore) argv=("$pv" restore "$d/backup.pvb" "$d/restored" --keyring "$d/vault.keyring"
                   --key-file "$PIVAULT_KEY_FILE") ;;
  esac
}
op_run() { local argv; op_argv "$@"; "${argv[@]}"; }

# The operation run again after a kill: 0 when it completed (or had nothing left to do).
op_rerun() {
  local op=$1 d=$2
  case $op in
    import|handover-import) # all or nothing: run again only when nothing came in
      local have
      have=$(ids_of "$d/check.jsonl" | grep -cxFf "$d/new.ids")
      ((have)) && return 0
      op_run "$op" "$d" rerun ;;
    shred) # the targets still there
      local left
      left=$(ids_of "$d/check.jsonl" | grep -xFf "$d/targets" | tr '\n' ' ')
      [[ -z $left ]] && return 0
      on "$d" shred $left -o "$d/rerun.cert.json" ;;
    restore) # a kill after the rename left the whole restore (checked before)
      [[ -d $d/restored ]] && return 0
      op_run "$op" "$d" rerun ;;
    handover-confirm) # a kill after the transfer was closed left nothing to do
      op_run "$op" "$d" rerun > "$d/rerun.confirm" 2>&1 && return 0
      grep -q 'already confirmed' "$d/rerun.confirm" && [[ ! -s $d/check.jsonl ]] && return 0
      cat "$d/rerun.confirm"
      return 1 ;;
    *) op_run "$op" "$d" rerun ;;
  esac
}

# ---- the states each operation starts from ----

make_base() {
  local b=$work/base
  mkdir -p "$b"
  "$pv" keygen "$work/root.key" > /dev/null
  printf 'admin-password-1\n' > "$work/admin.pw"
  local slots=1024
  ((customers > 5000)) && slots=65536
  PIVAULT_PASSWORD_FILE=$work/admin.pw "$pv" init "$b/vault" \
    --schema "$src/examples/schema.yaml" --slots "$slots" > /dev/null || return 1
  "$build/pvgen" -n "$customers" --seed "$seed" -o "$work/base.csv" || return 1
  on "$b" import "$work/base.csv" > /dev/null || return 1
  export_of "$b" "$work/base.jsonl" || return 1
}

# prepare OP: the state directory $work/OP/before the operation starts from, with its
# backup ($work/OP/before.pvb) for the restore check
prepare() {
  local op=$1 p=$work/$op/before
  mkdir -p "$work/$op"
  case $op in
    handover-import) cp -a "$work/buyer" "$p" ;;
    handover-confirm) cp -a "$work/seller" "$p" ;;
    *) cp -a "$work/base" "$p" ;;
  esac
  case $op in
    import)
      local extra=$((customers / 4))
      "$build/pvgen" -n "$extra" --seed "$((seed + 1))" --start "$((customers + 1))" \
        -o "$p/new.csv" || return 1 ;;
    shred) # every third customer, at most 5,000 ids
      ids_of "$work/base.jsonl" | awk 'NR % 3 == 1' | head -n 5000 > "$p/targets" ;;
    restore) # shreds and a rekey after the backup, so the restore has a ledger to apply
      on "$p" backup create "$p/backup.pvb" > /dev/null || return 1
      on "$p" shred $(ids_of "$work/base.jsonl" | awk 'NR % 10 == 5' | head -n 500) \
        -o "$p/setup.cert.json" > /dev/null 2>&1 || return 1
      on "$p" rekey > /dev/null || return 1 ;;
  esac
  if [[ $op != restore && $op != handover-import ]]; then
    on "$p" backup create "$work/$op/before.pvb" > /dev/null || return 1
  fi
  export_of "$p" "$work/$op/before.jsonl" || return 1
}

# The buyer's vault (empty) and the seller's (the base, a plan and its exported package),
# and, once the reference handover import has run, the buyer's receipt for the seller.
make_handover() {
  local s=$work/seller b=$work/buyer
  cp -a "$work/base" "$s"
  mkdir -p "$b"
  PIVAULT_PASSWORD_FILE=$work/admin.pw "$pv" init "$b/vault" \
    --schema "$src/examples/schema.yaml" --slots 1024 > /dev/null || return 1
  age-keygen -o "$b/buyer.age" 2> /dev/null || return 1
  age-keygen -y "$b/buyer.age" > "$work/buyer.pub"
  local key plan
  key=$(on "$b" pubkey 2> /dev/null) || return 1
  plan=$(on "$s" transfer plan --recipient-name Buyer --recipient-contact dpo@buyer.example \
    --recipient-key "$work/buyer.pub" --recipient-vault-key "$key" --deadline "$today" --json |
    sed 's/.*"transfer":"\([^"]*\)".*/\1/') || return 1
  on "$s" handover export "$plan" -o "$b/package.age" > /dev/null || return 1
  # the receipt the seller confirms: from an import into a copy of the buyer's vault
  rm -rf "$work/buyer.receipt" && cp -a "$b" "$work/buyer.receipt"
  op_run handover-import "$work/buyer.receipt" setup > /dev/null || return 1
  cp "$work/buyer.receipt/setup.receipt.json" "$s/receipt.json"
  rm -rf "$work/buyer.receipt"
}

# ---- checks ----

fail() { # fail OP KILL CHECK: record a failure, keep its state
  local op=$1 k=$2 what=$3 keep=$work/failures/$1-$2
  failures=$((failures + 1))
  opfail[$op]=$((${opfail[$op]:-0} + 1))
  # the states of the first three kills that failed, for each operation, are kept
  if [[ ! -d $keep ]] && ((${opkept[$op]:-0} < 3)); then
    opkept[$op]=$((${opkept[$op]:-0} + 1))
    mkdir -p "$keep"
    cp -a "$work/$op/killed" "$keep/killed" 2> /dev/null
    cp -a "$work/$op/before" "$keep/before"
  fi
  [[ -d $keep ]] || keep="not kept"
  note "  FAIL $op kill $k: $what (state: $keep)"
}

# check_restore_first OP K: when the kill left a keyring journal (an interrupted change of
# bucket keys), a restore of the backup from before is the first thing done (on a copy of
# the state): it must not settle the journal by the old data, and afterwards the vault
# still reads in full and the restore holds no customer shredded since
check_restore_first() {
  local op=$1 k=$2 d=$work/$1/run.rf
  [[ -f $work/$op/run/vault.keyring.journal && -f $work/$op/before.pvb ]] || return 0
  opjournal[$op]=$((${opjournal[$op]:-0} + 1))
  rm -rf "$d" "$d.restored" && cp -a "$work/$op/run" "$d"
  if "$pv" restore "$work/$op/before.pvb" "$d.restored" --keyring "$d/vault.keyring" \
       --key-file "$PIVAULT_KEY_FILE" > "$d.out" 2>&1; then
    if ! export_of "$d" "$d/check.jsonl"; then
      fail "$op" "$k" "a restore before the vault was opened again left it unreadable: $(tail -n 1 "$d/check.jsonl.err")"
    else
      local back
      back=$("$pv" export --vault "$d.restored" --keyring "$d/vault.keyring" --role admin \
        --format jsonl --clear --purpose all 2> /dev/null | ids_of /dev/stdin |
        comm -23 - <(ids_of "$d/check.jsonl" | sort) | wc -l)
      ((back)) && fail "$op" "$k" "a restore before the vault was opened again brought back $back shredded customers, readable"
    fi
  fi # a refusal is fine: it must then say why (checked by hand)
  rm -rf "$d" "$d.restored" "$d.out"
}

# check_after_kill OP K: the checks on $work/OP/run (state after the kill)
check_after_kill() {
  local op=$1 k=$2 d=$work/$1/run before=$work/$1/before.jsonl ref=$work/$1/ref.jsonl
  local ok=1
  check_restore_first "$op" "$k"
  if ! on "$d" audit verify > "$d/verify.out" 2>&1; then
    fail "$op" "$k" "the vault does not open or audit verify fails: $(tail -n 1 "$d/verify.out")"
    return 1
  fi
  if ! export_of "$d" "$d/check.jsonl"; then
    fail "$op" "$k" "a customer cannot be read in full (export: $(tail -n 1 "$d/check.jsonl.err"))"
    return 1
  fi
  # every line there is the customer before or after the operation, in full
  local odd
  odd=$(comm -13 "$work/$op/known" <(sort "$d/check.jsonl") | ids_of /dev/stdin |
    head -n 3 | tr '\n' ' ')
  [[ -n $odd ]] && { fail "$op" "$k" "customers neither as before nor as after: $odd"; ok=0; }
  # every customer gone is on record as shredded, and was one the operation removes
  ids_of "$d/check.jsonl" | sort > "$d/now.ids"
  shred_record "$d" > "$d/record.ids"
  local gone unrecorded wrong
  gone=$(ids_of "$before" | sort | comm -23 - "$d/now.ids")
  unrecorded=$(comm -23 <(printf '%s\n' $gone | sed '/^$/d') "$d/record.ids" | wc -l)
  ((unrecorded)) && { fail "$op" "$k" "$unrecorded customers gone with no shred on record"
    ok=0; opunrec[$op]=$((${opunrec[$op]:-0} + unrecorded)); }
  wrong=$(comm -23 <(printf '%s\n' $gone | sed '/^$/d') <(ids_of "$ref" | sort |
    comm -23 <(ids_of "$before" | sort) -) | head -n 3 | tr '\n' ' ')
  [[ -n $wrong ]] && { fail "$op" "$k" "customers gone that the operation keeps: $wrong"; ok=0; }
  # an import is all or nothing
  if [[ -f $d/new.ids ]]; then
    local have all
    have=$(grep -cxFf "$d/new.ids" "$d/now.ids")
    all=$(wc -l < "$d/new.ids")
    ((have != 0 && have != all)) && { fail "$op" "$k" "import partly there: $have of $all"; ok=0; }
  fi
  # no shredded customer readable: in the vault, or in the copy before with the live keyring
  local sample
  sample=$(comm -12 "$d/record.ids" <(ids_of "$before" | sort) | shuf -n 3 --random-source=<(yes "$k"))
  if [[ -n $sample ]]; then # the copy from before (made once: reads add audit entries)
    [[ -d $work/$op/old ]] || { mkdir -p "$work/$op/old" &&
      cp -a "$work/$op/before/vault" "$work/$op/old/vault"; }
    for id in $sample; do
      if on "$d" get "$id" --clear --purpose all > /dev/null 2>&1; then
        fail "$op" "$k" "shredded customer $id readable in the vault"; ok=0
      fi
      if on "$work/$op/old" get "$id" --clear --purpose all --keyring "$d/vault.keyring" \
           > /dev/null 2>&1; then
        fail "$op" "$k" "shredded customer $id readable in an earlier copy with the live keyring"
        ok=0
      fi
    done
  fi
  # the keyring and its ledger agree: the backup before, restored under the live keyring
  if [[ -f $work/$op/before.pvb ]]; then
    rm -rf "$d.restored"
    if ! "$pv" restore "$work/$op/before.pvb" "$d.restored" --keyring "$d/vault.keyring" \
         --key-file "$PIVAULT_KEY_FILE" > "$d/restore.out" 2>&1; then
      fail "$op" "$k" "the backup before cannot be restored: $(tail -n 1 "$d/restore.out")"; ok=0
    elif ! "$pv" export --vault "$d.restored" --keyring "$d/vault.keyring" --role admin \
         --format jsonl --clear --purpose all > "$d/restored.jsonl" 2> "$d/restored.err"; then
      fail "$op" "$k" "the backup before, restored, has unreadable customers: $(tail -n 1 "$d/restored.err")"
      ok=0
    else
      local want got
      want=$(comm -12 "$d/now.ids" <(ids_of "$before" | sort) | md5sum)
      got=$(ids_of "$d/restored.jsonl" | sort | md5sum)
      [[ $want != "$got" ]] && { fail "$op" "$k" "the backup before, restored, holds other customers than the vault"; ok=0; }
      odd=$(comm -13 "$work/$op/known" <(sort "$d/restored.jsonl") | head -n 1)
      [[ -n $odd ]] && { fail "$op" "$k" "the backup before, restored, holds a customer neither as before nor after"; ok=0; }
    fi
    rm -rf "$d.restored"
  fi
  ((ok))
}

# check_restore_kill K: a killed restore leaves the live vault alone and no half vault
check_restore_kill() {
  local k=$1 d=$work/restore/run
  if ! on "$d" audit verify > "$d/verify.out" 2>&1; then
    fail restore "$k" "the live vault does not verify after a killed restore"; return 1
  fi
  if [[ -e $d/restored ]]; then # there, it must be whole
    if ! "$pv" export --vault "$d/restored" --keyring "$d/vault.keyring" --role admin \
         --format jsonl --clear --purpose all > "$d/check.jsonl" 2> /dev/null ||
       ! cmp -s "$d/check.jsonl" "$work/restore/ref.jsonl"; then
      fail restore "$k" "a killed restore left a vault that is not the restored one"; return 1
    fi
  fi
  return 0
}

# check_rerun OP K: run the operation again; it completes and gives the reference result
check_rerun() {
  local op=$1 k=$2 d=$work/$1/run
  if ! op_rerun "$op" "$d" > "$d/rerun.out" 2>&1; then
    fail "$op" "$k" "running it again fails: $(tail -n 1 "$d/rerun.out")"; return 1
  fi
  if [[ $op == restore ]]; then
    "$pv" audit verify --vault "$d/restored" --keyring "$d/vault.keyring" --role admin \
      > "$d/verify.out" 2>&1 &&
    "$pv" export --vault "$d/restored" --keyring "$d/vault.keyring" --role admin \
      --format jsonl --clear --purpose all > "$d/final.jsonl" 2> /dev/null
  else
    on "$d" audit verify > "$d/verify.out" 2>&1 && export_of "$d" "$d/final.jsonl"
  fi || { fail "$op" "$k" "after running it again, the vault does not verify or read"; return 1; }
  if ! cmp -s "$d/final.jsonl" "$work/$op/ref.jsonl"; then
    fail "$op" "$k" "after running it again, the customers differ from the reference run"
    return 1
  fi
  if [[ $op != restore ]]; then # every customer the operation removed is on record
    local missing
    missing=$(ids_of "$work/$op/before.jsonl" | sort | comm -23 - <(ids_of "$d/final.jsonl" | sort) |
      comm -23 - <(shred_record "$d") | wc -l)
    ((missing)) && { fail "$op" "$k" "after running it again, $missing shredded customers are on no record"
      return 1; }
  fi
  return 0
}

# ---- one operation: reference run, then the kills ----

declare -A opkills opfail opunrec opjournal opkept
run_op() {
  local op=$1 d=$work/$1/run
  prepare "$op" || { note "$op: cannot prepare its vault"; failures=$((failures + 1)); return; }
  rm -rf "$d" && cp -a "$work/$op/before" "$d"
  local t0 t1 dur
  t0=$(now_ns)
  if ! op_run "$op" "$d" ref > "$d/ref.out" 2>&1; then
    note "$op: the uninterrupted run fails: $(tail -n 1 "$d/ref.out")"
    failures=$((failures + 1)); return
  fi
  t1=$(now_ns)
  dur=$(((t1 - t0) / 1000)) # microseconds
  if [[ $op == restore ]]; then
    "$pv" export --vault "$d/restored" --keyring "$d/vault.keyring" --role admin \
      --format jsonl --clear --purpose all > "$work/$op/ref.jsonl"
  else
    export_of "$d" "$work/$op/ref.jsonl"
  fi
  sort -u "$work/$op/before.jsonl" "$work/$op/ref.jsonl" > "$work/$op/known" # either state
  if [[ $op == import || $op == handover-import ]]; then # the customers it brings in
    comm -13 <(ids_of "$work/$op/before.jsonl" | sort) <(ids_of "$work/$op/ref.jsonl" | sort) \
      > "$work/$op/before/new.ids"
  fi
  note "$op: reference run $((dur / 1000)) ms; $(wc -l < "$work/$op/before.jsonl") customers before, $(wc -l < "$work/$op/ref.jsonl") after"
  local i done=0 tries=0
  for ((i = 0; done < kills && tries < 4 * kills; i++)); do
    tries=$((tries + 1))
    rm -rf "$d" "$work/$op/killed" && cp -a "$work/$op/before" "$d"
    # a delay spread over the measured duration: stratum i of kills, uniform within it
    local us=$(((dur * ((i % kills) * 1000 + RANDOM % 1000)) / (kills * 1000)))
    local argv
    op_argv "$op" "$d"
    "${argv[@]}" > "$d/op.out" 2>&1 & # pivault itself, no subshell between
    local pid=$!
    sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
    kill -KILL "$pid" 2> /dev/null
    local st=0
    { wait "$pid"; } 2> /dev/null || st=$?
    ((st != 137)) && continue # it ended before the kill: not a kill
    done=$((done + 1))
    cp -a "$d" "$work/$op/killed"
    if [[ $op == restore ]]; then
      check_restore_kill "$done" && check_rerun "$op" "$done"
    else
      check_after_kill "$op" "$done"
      check_rerun "$op" "$done"
    fi
  done
  opkills[$op]=$done
  note "$op: $done kills, ${opfail[$op]:-0} failures"
  rm -rf "$d" "$work/$op/killed" "$work/$op/old"
}

note "crash harness: $customers customers, $kills kills per operation, seed $seed, work $work"
make_base || { note "cannot make the base vault"; exit 1; }
IFS=, read -ra oplist <<< "$ops"
for op in "${oplist[@]}"; do
  if [[ $op == handover-* && ! -d $work/seller ]]; then
    make_handover || { note "cannot prepare the handover"; exit 1; }
  fi
  run_op "$op"
done
note ""
note "operation           kills  failures  gone-unrecorded  journal-left"
total=0
for op in "${oplist[@]}"; do
  printf '%-18s %6d %9d %16d %13d\n' "$op" "${opkills[$op]:-0}" "${opfail[$op]:-0}" \
    "${opunrec[$op]:-0}" "${opjournal[$op]:-0}"
  total=$((total + ${opkills[$op]:-0}))
done
note "total kills: $total; failures: $failures"
if ((failures)); then
  note "failure states kept under $work/failures"
  exit 1
fi
rm -rf "$work"
exit 0
