#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A tour of the vault on its own (SQLite): set up and build, create a
# vault from the sample schema with its first administrator, add staff through four-eyes
# approvals, generate and import sample customers, look some up for a declared purpose,
# show masked and clear views, and check the tamper-evident audit log.
# Everything it makes lives under build/tour. (The main job is scripts/demo.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
pv=$PWD/build/pivault
gen=$PWD/build/pvgen
demo=$PWD/build/tour
rm -rf "$demo" && mkdir -p "$demo"
count=${PIVAULT_DEMO_COUNT:-20000}
export PIVAULT_VAULT=$demo/vault
unset PIVAULT_USER PIVAULT_KEY_FILE PIVAULT_PASSWORD_FILE PIVAULT_PASSPHRASE_FILE
step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
# Demo passwords in files of mode 0600 (a real deployment would type them at a prompt).
secret() { (umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$demo/$1.pw"); }
for who in admin dpo clerk; do secret "$who"; done
as() { # as USER COMMAND...: run pivault as a user, with their password file
  local u=$1; shift
  PIVAULT_USER=$u PIVAULT_PASSWORD_FILE=$demo/$u.pw "$pv" "$@"
}
request_id() { sed -n 's/.*"request":"\([^"]*\)".*/\1/p'; }
# enrol USER: the new user sets their own password with both halves of the enrolment code
# (the approver's and the requester's, kept here in USER.half-a and USER.half-b)
enrol() {
  echo "\$ pivault user enrol $1   # by $1, with both halves"
  "$pv" user enrol "$1" --first-half-file "$demo/$1.half-a" \
    --second-half-file "$demo/$1.half-b" --password-file "$demo/$1.pw"
  rm -f "$demo/$1.half-a" "$demo/$1.half-b"
}

step "A root key (break-glass, kept offline) and a vault with its first administrator"
show "$pv" schema check examples/schema.yaml
show "$pv" keygen "$demo/root.key"
echo "\$ pivault init $PIVAULT_VAULT --schema examples/schema.yaml --admin admin"
PIVAULT_KEY_FILE=$demo/root.key PIVAULT_PASSWORD_FILE=$demo/admin.pw \
  "$pv" init "$PIVAULT_VAULT" --schema examples/schema.yaml --admin admin
ls -l "$demo" | grep -v '\.pw$'

step "Staff are added with four eyes: the administrator asks, someone else approves"
id=$(as admin request user add dpo --roles dpo --json | request_id)
echo "admin asked for request $id: user add dpo --roles dpo"
echo "(the root key holder approves this first one: there is no second user yet)"
PIVAULT_KEY_FILE=$demo/root.key "$pv" approve "$id" --role admin | tee /dev/stderr |
  tail -n 1 | tr -d ' ' > "$demo/dpo.half-a"
as admin run "$id" | tee /dev/stderr | tail -n 1 | tr -d ' ' > "$demo/dpo.half-b"
enrol dpo
id=$(as admin request user add clerk --roles clerk --json | request_id)
echo "\$ pivault approve $id   # by admin himself: refused"
as admin approve "$id" || echo "(refused: four eyes)"
as dpo approve "$id" | tee /dev/stderr | tail -n 1 | tr -d ' ' > "$demo/clerk.half-a"
as admin run "$id" | tee /dev/stderr | tail -n 1 | tr -d ' ' > "$demo/clerk.half-b"
enrol clerk
as admin user attest clerk --agreement "$(date +%F)" --training "$(date +%F)"
as admin user attest dpo --agreement "$(date +%F)" --training "$(date +%F)"
as admin user list

step "Generate $count sample customers and stream them in (no plaintext file on disk)"
echo "\$ pvgen -n $count | pivault import -      (as admin)"
"$gen" -n "$count" | as admin import -

step "Every read names its purpose; output is masked by default"
echo "\$ pivault list --limit 3 --purpose service      (as admin)"
as admin list --limit 3 --purpose service
echo "\$ pivault get C00000001 --purpose billing --clear      (as admin)"
as admin get C00000001 --purpose billing --clear
echo "\$ pivault get C00000001 --purpose service --clear      (as clerk: sees little)"
as clerk get C00000001 --purpose service --clear
echo "\$ pivault get C00000001 --purpose billing      (as clerk: not his purpose)"
as clerk get C00000001 --purpose billing || echo "(refused)"

step "Find by phone, written any way a clerk might type it, through the blind index"
phone=$(as admin get C00000002 --purpose service --clear --json | sed -n 's/.*"phone":"\([^"]*\)".*/\1/p')
national=${phone#+86}
typed="${national:0:3} ${national:3:4}-${national:7:4}"
echo "\$ pivault find --phone \"$typed\" --purpose service      (as clerk)"
as clerk find --phone "$typed" --purpose service

step "Correct a customer's email; the value is validated, re-encrypted and re-indexed"
echo "\$ pivault update C00000002 email=Service.Desk@Example.COM      (as admin)"
as admin update C00000002 email=Service.Desk@Example.COM
as admin find --email service.desk@example.com --purpose service --clear | head -n 5

step "A file with bad rows: every problem by line and column, and nothing imported"
before=$(as admin list --json --limit 1000000 --purpose service | wc -l)
echo "\$ pvgen -n 50 --start 900001 --bad-every 20 | pivault import -"
"$gen" -n 50 --start 900001 --bad-every 20 | as admin import - || echo "(refused, as it should be)"
after=$(as admin list --json --limit 1000000 --purpose service | wc -l)
echo "customers before: $before, after: $after"
echo "\$ ... | pivault import - --reject-file rejects.csv   (good rows in, bad rows masked)"
"$gen" -n 50 --start 900001 --bad-every 20 | as admin import - --reject-file "$demo/rejects.csv"
head -n 3 "$demo/rejects.csv"

step "A bulk export in clear needs a second person"
echo "\$ pivault export --format jsonl --clear --purpose billing      (as admin)"
as admin export --format jsonl --clear --purpose billing > /dev/null || echo "(refused)"
id=$(as admin request export --format jsonl --clear --purpose billing --reason "year-end billing check" --json | request_id)
as dpo approve "$id"
echo "\$ pivault run $id | head -n 1"
as admin run "$id" > "$demo/billing.jsonl"
head -c 300 "$demo/billing.jsonl"; echo " ..."
rm -f "$demo/billing.jsonl"

step "A customer withdraws consent to marketing: marketing reads stop at once"
as dpo consent grant C00000003 --purpose marketing --channel web --text-version v3
as admin get C00000003 --purpose marketing | head -n 2
as dpo consent withdraw C00000003 --purpose marketing --channel phone
as admin get C00000003 --purpose marketing || echo "(refused: no consent)"

step "A customer asks what we hold (access request): the reply, as JSON and HTML"
id=$(as dpo dsr open --customer C00000003 --type access --json | request_id)
as dpo dsr report "$id" --html > "$demo/access-reply.html"
echo "reply written to build/demo/access-reply.html ($(wc -c < "$demo/access-reply.html") bytes, for the customer only)"
as dpo dsr close "$id" --outcome "reply sent by registered mail"
as dpo dsr list
echo "Every notice sent is recorded: what (text version), channel, delivery state"
n=$(as dpo notice record C00000003 --kind dsr-reply --text-version "access-reply v1" \
  --channel letter --state queued --json | sed -n 's/.*"notice":\([0-9]*\).*/\1/p')
as dpo notice state "$n" delivered
as dpo notice list --customer C00000003

step "Destruction: a legal hold blocks it; after release, four eyes, then a certificate"
as dpo hold add C00000004 --reason "dispute 2026-17"
id=$(as admin request shred C00000004 --json | request_id)
as dpo approve "$id"
as admin run "$id" || echo "(refused: legal hold)"
as dpo hold release C00000004
id=$(as admin request shred C00000004 --json | request_id)
as dpo approve "$id"
as admin run "$id" -o "$demo/certificate.json"
key=$(as dpo pubkey)   # prints the key; its fingerprint goes to standard error
echo "\$ pivault certificate verify certificate.json --public-key $key   (no vault needed)"
env -u PIVAULT_VAULT "$pv" certificate verify "$demo/certificate.json" --public-key "$key"
as admin get C00000004 --purpose all || echo "(gone)"

step "Retention: what the schema's rules make due (ids, fields, rule, date; no values)"
echo "\$ pivault retention plan | head -4      (as dpo)"
as dpo retention plan > "$demo/retention-plan.txt"
head -4 "$demo/retention-plan.txt"
echo "... $(wc -l < "$demo/retention-plan.txt") items; applying them takes an approved request:"
id=$(as admin request retention apply --json | request_id)
as dpo approve "$id"
as admin run "$id" -o "$demo/retention-certificates.json"
echo "left due: $(as dpo retention plan | grep -c HELD || true) (only customers under a legal hold)"

step "The audit log: who touched customer C00000002, alerts, checkpoint, verify, proofs"
as dpo audit log --customer C00000002
as dpo audit alerts | tail -n 3
as dpo audit checkpoint -o "$demo/checkpoint.txt"
cat "$demo/checkpoint.txt"
as dpo audit verify --checkpoint "$demo/checkpoint.txt"
as dpo audit prove 5 > "$demo/proof.txt"
echo "\$ pivault audit check-proof proof.txt --checkpoint checkpoint.txt --public-key $key   (no vault needed)"
env -u PIVAULT_VAULT "$pv" audit check-proof "$demo/proof.txt" --checkpoint "$demo/checkpoint.txt" \
  --public-key "$key"
echo "an attacker edits entry 7 with the sqlite3 tool:"
cp "$PIVAULT_VAULT/vault.db" "$demo/vault.db.bak"
sqlite3 "$PIVAULT_VAULT/vault.db" "UPDATE audit SET ids = 'C00000099' WHERE seq = 7"
as dpo audit verify || echo "(caught)"
cp "$demo/vault.db.bak" "$PIVAULT_VAULT/vault.db" && rm -f "$PIVAULT_VAULT/vault.db-wal" "$demo/vault.db.bak"

step "No plaintext on disk: the vault's files hold no name, phone or ID number in clear"
json=$(as admin get C00000001 --purpose all --clear --json)
found=0
for f in name phone id_number email bank_card; do
  value=$(echo "$json" | sed -n "s/.*\"$f\":\"\([^\"]*\)\".*/\1/p")
  [[ -n $value ]] || continue
  if grep -rqF -- "$value" "$PIVAULT_VAULT" "$PIVAULT_VAULT.keyring"; then
    echo "FOUND $f of C00000001 in clear in the vault files"; found=1
  else
    echo "searched every vault file and the keyring for C00000001's $f in clear: not found"
  fi
done
((found == 0)) || exit 1
echo
echo "Demo finished: vault in $PIVAULT_VAULT, keyring in $PIVAULT_VAULT.keyring."
