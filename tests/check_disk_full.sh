#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A full disk (issue 11): the vault, its keyring and ledger, and the files pivault writes
# live on a small tmpfs; for import, shred, backup create and handover export the
# filesystem is filled (a filler file) up to a few margins of free space, and the
# operation run. Where it fails, it must refuse cleanly: exit 1 (3 for a shred that
# committed and says what is left to do), a message saying the disk is full, no value in
# it, no half-written output left; then, with the filler deleted, every customer committed
# before is there and readable, `audit verify` passes, and running the operation again
# succeeds. Prints what each operation did at each margin.
# Needs a tmpfs: mounted in a user and mount namespace of its own (unshare), else
# directly; when neither is permitted, exit 77 (CTest: skipped).
# Usage: check_disk_full.sh BUILD_DIR SOURCE_DIR [OPS [MARGINS]]  (space-separated lists)
set -uo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
if [[ -z ${PV_DISKFULL_FS:-} ]]; then # find a way to mount a small filesystem
  work=$(mktemp -d "${TMPDIR:-/tmp}/pv-diskfull.XXXXXX")
  mkdir -p "$work/fs"
  # a private mount namespace first: the mount goes with the process, however it ends
  if unshare --user --map-root-user --mount sh -c 'mount -t tmpfs -o size=1m tmpfs "$1"' \
       sh "$work/fs" 2> /dev/null; then
    PV_DISKFULL_FS=$work/fs PV_DISKFULL_WORK=$work unshare --user --map-root-user --mount \
      bash -c 'mount -t tmpfs -o size=6m,mode=0700 tmpfs "$PV_DISKFULL_FS" && exec bash "$@"' \
      sh "$self" "$@"
    st=$?
  elif mount -t tmpfs -o size=6m,mode=0700 tmpfs "$work/fs" 2> /dev/null; then
    PV_DISKFULL_FS=$work/fs PV_DISKFULL_WORK=$work bash "$self" "$@"
    st=$?
    umount "$work/fs"
  else
    echo "no small filesystem can be mounted here (mount and unshare refused): skipped"
    st=77
  fi
  rm -rf "$work"
  exit "$st"
fi

fs=$PV_DISKFULL_FS work=$PV_DISKFULL_WORK
mountpoint -q "$fs" || { echo "$fs is not a mount point"; exit 1; }
pv=$build/pivault-test
export PIVAULT_KEY_FILE=$work/root.key
unset PIVAULT_VAULT PIVAULT_USER PIVAULT_PASSWORD_FILE PIVAULT_PASSPHRASE_FILE PIVAULT_KEYRING
failures=0
fail() { failures=$((failures + 1)); echo "  FAIL $*"; }
# the vault is on the tmpfs; for shred-ledger, only its keyring and ledger are (the vault
# on the ordinary disk): the shred commits and the ledger beside the keyring cannot grow
vault_dir=$fs/vault
on() { "$pv" "$@" --vault "$vault_dir" --keyring "$fs/vault.keyring" --role admin; }
ids_of() { sed -n 's/^{"customer_id":"\([^"]*\)".*/\1/p' "$1"; }

# ---- the vault before every trial: 300 customers, a handover plan; kept off the tmpfs ----
"$pv" keygen "$work/root.key" > /dev/null
printf 'admin-password-1\n' > "$work/admin.pw"
PIVAULT_PASSWORD_FILE=$work/admin.pw "$pv" init "$fs/vault" --schema "$src/examples/schema.yaml" \
  --slots 1024 > /dev/null || { echo "init failed"; exit 1; }
"$build/pvgen" -n 300 --seed 17 -o "$work/base.csv"
"$build/pvgen" -n 300 --seed 18 --start 301 -o "$work/more.csv"
on import "$work/base.csv" > /dev/null || { echo "import failed"; exit 1; }
age-keygen -o "$work/buyer.age" 2> /dev/null
age-keygen -y "$work/buyer.age" > "$work/buyer.pub"
plan=$(on transfer plan --recipient-name Buyer --recipient-contact dpo@buyer.example \
  --recipient-key "$work/buyer.pub" --deadline "$(date -u +%F)" --json |
  sed 's/.*"transfer":"\([^"]*\)".*/\1/')
[[ $plan == T-* ]] || { echo "transfer plan failed"; exit 1; }
on export --format jsonl --clear --purpose all > "$work/base.jsonl" ||
  { echo "export failed"; exit 1; }
# values that must never appear in a message: every name, id number, email and address
sed 's/^{//; s/}$//; s/","/"\n"/g' "$work/base.jsonl" |
  sed -n 's/^"\(name\|id_number\|email\|address\)":"\(.\{4,\}\)"$/\2/p' | sort -u > "$work/values"
on backup create "$work/before.pvb" > /dev/null || { echo "backup failed"; exit 1; }
rm -rf "$work/pristine" && cp -a "$fs" "$work/pristine"
ids_of "$work/base.jsonl" | awk 'NR % 4 == 2' > "$work/targets"

# op_args OP: the operation's command line (its outputs on the tmpfs)
op_args() {
  case $1 in
    import) args=(import "$work/more.csv") ;;
    shred|shred-ledger) mapfile -t args < "$work/targets"
      args=(shred "${args[@]}" -o "$work/shred.cert.json") ;;
    backup) args=(backup create "$fs/backup.pvb") ;;
    handover-export) args=(handover export "$plan" -o "$fs/package.age") ;;
  esac
}

# fill MARGIN: fill the tmpfs up to MARGIN bytes of free space
fill() {
  dd if=/dev/zero of="$fs/filler" bs=64k status=none 2> /dev/null
  sync
  local free
  free=$(($(stat -f -c '%a * %S' "$fs")))
  if (($1 > free)); then
    truncate -s "-$(($1 - free))" "$fs/filler"
  fi
}

printf '%-16s %8s %5s  %s\n' operation margin exit "what it said"
ops=${3:-import shred shred-ledger backup handover-export}
for op in $ops; do
  # free space left: none (the vault cannot be opened), some (the operation runs out
  # midway), about what it needs, plenty (it succeeds); a finer sweep is given by hand
  margins=${4:-0 65536 262144 360448 1048576}
  # the keyring alone on the tmpfs: its journal, then the ledger, run out of space
  [[ $op == shred-ledger && -z ${4:-} ]] && margins="0 8192 16384 24576"
  for margin in $margins; do
    rm -rf "${fs:?}"/* "$work/data" "$work"/shred*.cert.json && cp -a "$work/pristine/." "$fs/"
    vault_dir=$fs/vault
    if [[ $op == shred-ledger ]]; then
      mkdir "$work/data" && mv "$fs/vault" "$work/data/vault" && vault_dir=$work/data/vault
    fi
    fill "$margin"
    op_args "$op"
    on "${args[@]}" > "$work/out" 2> "$work/err"
    st=$?
    msg=$(tr "\n" " " < "$work/err")
    printf '%-16s %8d %5d  %s\n' "$op" "$margin" "$st" "${msg:-(done)}"
    if ((st != 0)); then
      [[ $st == 1 || ($op == shred* && $st == 3) ]] || fail "$op: exit $st, not 1"
      grep -qiE 'disk is full|no space' "$work/err" || fail "$op: the message does not say the disk is full"
      if grep -qFf "$work/values" "$work/err" "$work/out"; then fail "$op: a value in its output"; fi
      case $op in
        backup) [[ -e $fs/backup.pvb || -e $fs/backup.pvb.partial ]] && fail "backup: a half-written backup left" ;;
        handover-export) [[ -e $fs/package.age ]] && fail "handover export: a half-written package left" ;;
      esac
    fi
    # space freed: nothing committed lost, the log verifies, the operation runs again
    rm -f "$fs/filler"
    on audit verify > "$work/verify" 2>&1 || fail "$op: audit verify after a full disk: $(tail -n 1 "$work/verify")"
    if ! on export --format jsonl --clear --purpose all > "$work/now.jsonl" 2> "$work/err2"; then
      fail "$op: customers unreadable after a full disk: $(tail -n 1 "$work/err2")"
      continue
    fi
    case $op in
      import) # all or nothing, and the rest as before
        n=$(($(wc -l < "$work/now.jsonl") - 300))
        ((n == 0 || n == 300)) || fail "import: $n of 300 rows there after a full disk"
        head -n 300 "$work/now.jsonl" | cmp -s - "$work/base.jsonl" || fail "import: customers changed" ;;
      shred*) # the others as before; each target there in full or gone with its shred on record
        grep -vFf <(sed 's/.*/"customer_id":"&"/' "$work/targets") "$work/base.jsonl" |
          cmp -s - <(grep -vFf <(sed 's/.*/"customer_id":"&"/' "$work/targets") "$work/now.jsonl") ||
          fail "shred: customers it does not target changed"
        gone=$(ids_of "$work/now.jsonl" | comm -13 - <(sort "$work/targets") | wc -l)
        if ((gone)); then
          on=$(grep -ao '"id":"C[0-9]*"' "$fs/vault.keyring.ledger" 2> /dev/null | wc -l)
          ((on >= gone)) || fail "$op: $gone customers gone, $on on the ledger"
        fi
        # the ledger agrees with the keyring: the backup before, restored, reads as now
        rm -rf "$work/restored"
        if ! "$pv" restore "$work/before.pvb" "$work/restored" --keyring "$fs/vault.keyring" \
             --key-file "$PIVAULT_KEY_FILE" > /dev/null 2> "$work/err4"; then
          fail "$op: the backup before cannot be restored: $(tail -n 1 "$work/err4")"
        elif ! "$pv" export --vault "$work/restored" --keyring "$fs/vault.keyring" --role admin \
             --format jsonl --clear --purpose all 2> "$work/err4" | cmp -s - "$work/now.jsonl"; then
          fail "$op: the backup before, restored, differs from the vault: $(tail -n 1 "$work/err4")"
        fi
        rm -rf "$work/restored" ;;
      *) cmp -s "$work/now.jsonl" "$work/base.jsonl" || fail "$op: customers changed" ;;
    esac
    if ((st != 0)); then
      case $op in
        shred*) mapfile -t left < <(ids_of "$work/now.jsonl" | grep -xFf "$work/targets")
          args=()
          ((${#left[@]})) && args=(shred "${left[@]}" -o "$work/shred2.cert.json") ;;
        import) (($(wc -l < "$work/now.jsonl") > 300)) && args=() ;;
      esac
      if ((${#args[@]})) && ! on "${args[@]}" > /dev/null 2> "$work/err3"; then
        fail "$op: does not run again once space is freed: $(tail -n 1 "$work/err3")"
      fi
    fi
  done
done
if ((failures)); then
  echo "$failures failures"
  exit 1
fi
echo "disk full: every operation refused cleanly, lost nothing and ran again"
