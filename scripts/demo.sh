#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The main job end to end on the embedded default (SQLite), on generated data: a company
# (the seller) hands its customers over to a buyer: plan and impact assessment, notices,
# a few objections, an approved export of the sealed package, the buyer's verified import
# and signed receipt, the seller's confirmation that shreds its copy, certificates and
# both audit logs verified. Then a second company is deregistered (注销): what the law
# keeps goes to the keeper's archive, the rest is shredded, with a signed final report.
# Everything it makes lives under build/demo. (scripts/tour.sh tours the vault itself.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
pv=$PWD/build/pivault
gen=$PWD/build/pvgen
demo=$PWD/build/demo
rm -rf "$demo" && mkdir -p "$demo"
count=${PIVAULT_DEMO_COUNT:-20000}
unset PIVAULT_VAULT PIVAULT_USER PIVAULT_KEY_FILE PIVAULT_PASSWORD_FILE PIVAULT_PASSPHRASE_FILE
step() { printf '\n== %s\n' "$*"; }
# Demo passwords in files of mode 0600 (a real deployment types them at a prompt).
secret() { (umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$demo/$1.pw"); }
# on VAULT USER COMMAND...: run pivault on a vault as one of its users
on() {
  local vault=$1 user=$2; shift 2
  PIVAULT_VAULT=$demo/$vault PIVAULT_USER=$user PIVAULT_PASSWORD_FILE=$demo/$vault-$user.pw \
    "$pv" "$@"
}
request_id() { sed -n 's/.*"request":"\([^"]*\)".*/\1/p'; }
# approved VAULT REQUESTER APPROVER COMMAND...: ask, have it approved, run it
approved() {
  local vault=$1 asker=$2 approver=$3; shift 3
  local id
  id=$(on "$vault" "$asker" request "$@" "${RUN_OPTS[@]}" --json | request_id)
  echo "  $asker asks ($id): pivault $*; $approver approves; $asker runs it"
  on "$vault" "$approver" approve "$id" > /dev/null
  on "$vault" "$asker" run "$id"
}
# a vault with its administrator and a data protection officer (added with four eyes)
new_vault() {
  local vault=$1 schema=$2
  secret "$vault-admin"; secret "$vault-dpo"
  "$pv" keygen "$demo/$vault.root.key" > /dev/null
  PIVAULT_KEY_FILE=$demo/$vault.root.key PIVAULT_PASSWORD_FILE=$demo/$vault-admin.pw \
    "$pv" init "$demo/$vault" --schema "$schema" --admin admin > /dev/null
  local id
  id=$(on "$vault" admin request user add dpo --roles dpo --json | request_id)
  # the first approval: the root key holder, shown the first half of dpo's enrolment code;
  # the requester is shown the second half when running it; dpo enrols with both
  PIVAULT_VAULT=$demo/$vault PIVAULT_KEY_FILE=$demo/$vault.root.key \
    "$pv" approve "$id" --role admin | tail -n 1 | tr -d ' ' > "$demo/$vault-dpo.half-a"
  on "$vault" admin run "$id" | tail -n 1 | tr -d ' ' > "$demo/$vault-dpo.half-b"
  PIVAULT_VAULT=$demo/$vault "$pv" user enrol dpo --first-half-file "$demo/$vault-dpo.half-a" \
    --second-half-file "$demo/$vault-dpo.half-b" --password-file "$demo/$vault-dpo.pw" > /dev/null
  rm -f "$demo/$vault-dpo.half-a" "$demo/$vault-dpo.half-b"
  on "$vault" admin user attest dpo --agreement "$(date +%F)" --training "$(date +%F)" > /dev/null
  echo "  vault $vault: schema $(basename "$schema"), users admin and dpo, root key offline"
}
customers() { on "$1" admin list --json --limit 10000000 --purpose all | grep -c '^{"id"' || true; }
today=$(date -u +%F)

step "Two companies: acme-logistics (the seller) and xinyun (the buyer)"
new_vault seller examples/schema.yaml
new_vault buyer examples/schema.yaml
echo "  $count generated customers stream into the seller's vault (no plaintext file on disk):"
"$gen" -n "$count" | on seller admin import - | tail -n 1
(umask 077; age-keygen -o "$demo/buyer.age" 2> /dev/null)
age-keygen -y "$demo/buyer.age" > "$demo/buyer.age.pub"
echo "  the buyer's age key for receiving: $(cat "$demo/buyer.age.pub") (its secret stays with the buyer)"
buyer_key=$(on buyer admin pubkey 2> "$demo/buyer.fingerprint")
echo "  the buyer's vault signing key, which alone may sign its receipt: $(cat "$demo/buyer.fingerprint")"

step "The seller plans the transfer (PIPL art. 22) and assesses its impact (art. 55-56)"
echo "  (the 30 days customers have to object are compressed to today in this demo)"
plan=$(on seller dpo transfer plan --recipient-name "新运物流有限公司 Xinyun Logistics" \
  --recipient-contact "dpo@xinyun.example.cn, 021-5555-0100" \
  --recipient-key "$demo/buyer.age.pub" --recipient-vault-key "$buyer_key" --deadline "$today" \
  --json | sed 's/.*"transfer":"\([^"]*\)".*/\1/')
echo "  transfer plan $plan; the buyer's vault key pinned, fingerprint read back by phone:" \
  "$(on seller dpo transfer show "$plan" | sed -n 's/.*"recipient_vault_key_fingerprint": "\([^"]*\)".*/\1/p')"
on seller dpo transfer assess "$plan" --html -o "$demo/assessment.html"
on seller dpo transfer assess "$plan" | grep -E '"customers_(in_scope|to_hand_over)"' | tr -s ' '
echo "  assessment page: build/demo/assessment.html (kept three years in the vault)"

step "Every customer is told who the new holder is (告知): a mail-merge stream, not sent by us"
echo "  names and contacts of every customer in clear: more than the bulk limit, so four eyes"
echo "  \$ pivault transfer notify $plan --purpose service --lang en --jsonl > mail-merge.jsonl"
id=$(on seller dpo request transfer notify "$plan" --purpose service --lang en --jsonl --json |
  request_id)
on seller admin approve "$id" > /dev/null
on seller dpo run "$id" 2> "$demo/notify.log" | { head -n 1; cat > /dev/null; } |
  sed -n 's/.*"text":"\([^"]*\)".*/\1/p' | sed 's/\\n/\n/g' | sed -n '5,10p' | sed 's/^/    /'
sed 's/^/  /' "$demo/notify.log"

step "Three customers answer before the deadline: two object, one asks for deletion"
for c in C00000011 C00000012; do on seller dpo dsr open --customer "$c" --type object > /dev/null; done
on seller dpo dsr open --customer C00000013 --type delete > /dev/null
on seller dpo transfer exclusions "$plan" | grep -v "legal hold" | sed 's/^/  /'
echo "  they stay out of the package and are destroyed instead (four eyes):"
RUN_OPTS=(-o "$demo/objectors.certificate.json")
approved seller dpo admin transfer shred-excluded "$plan"

step "The sealed package (交接清单 inside): export needs a second person"
RUN_OPTS=(-o "$demo/handover.age")
approved seller dpo admin handover export "$plan"
echo "  the buyer can open and check it without pivault (age, minisign):"
mkdir -p "$demo/peek" && (
  cd "$demo/peek"
  age -d -i "$demo/buyer.age" "$demo/handover.age" | tar -t | sed 's/^/    /' | head -n 12
  age -d -i "$demo/buyer.age" "$demo/handover.age" | tar -x manifest.json manifest.json.minisig sender.pub
  minisign -V -p sender.pub -m manifest.json | sed 's/^/    /'
)
rm -rf "$demo/peek"
echo "  one changed byte, and the buyer's pivault refuses the whole package:"
cp "$demo/handover.age" "$demo/tampered.age"
# flip the lowest bit of byte 5000 (writing a fixed byte would change nothing when the
# ciphertext holds that byte already: one run in 256)
byte=$(dd if="$demo/tampered.age" bs=1 skip=5000 count=1 status=none | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 1)))" |
  dd of="$demo/tampered.age" bs=1 seek=5000 conv=notrunc status=none
if on buyer admin handover import "$demo/tampered.age" --identity "$demo/buyer.age" \
  > "$demo/tampered.out" 2>&1; then
  sed 's/^/    /' "$demo/tampered.out"
  echo "demo: the buyer's pivault accepted a changed package" >&2
  exit 1
fi
sed 's/^/    /' "$demo/tampered.out"
rm -f "$demo/tampered.age" "$demo/tampered.out"

step "The buyer imports it under its own keys and signs a receipt"
on buyer admin handover import "$demo/handover.age" --identity "$demo/buyer.age" \
  --receipt "$demo/receipt.json" | sed 's/^/  /'
on seller dpo handover verify-receipt "$demo/receipt.json" | sed 's/^/  /'
echo "  the buyer's vault now answers for customer C00000002 (masked):"
on buyer admin get C00000002 --purpose service | sed 's/^/    /'

step "The seller checks the receipt and shreds its copy (four eyes), with certificates"
echo "  a receipt signed by any key but the pinned one is refused (here: the seller's own):"
sed 's/"recipient_public_key": "[0-9a-f]*"/"recipient_public_key": "'"$(on seller dpo pubkey 2> /dev/null)"'"/' \
  "$demo/receipt.json" > "$demo/other-key.receipt.json"
on seller dpo handover verify-receipt "$demo/other-key.receipt.json" 2>&1 | sed 's/^/    /' || true
rm -f "$demo/other-key.receipt.json"
RUN_OPTS=(-o "$demo/handover.certificates.json")
approved seller dpo admin handover confirm "$demo/receipt.json"
key=$(on seller dpo pubkey 2> /dev/null)
"$pv" certificate verify "$demo/handover.certificates.json" --public-key "$key" | sed 's/^/  /'
"$pv" certificate verify "$demo/objectors.certificate.json" --public-key "$key" | sed 's/^/  /'
echo "  customers left with the seller: $(customers seller); with the buyer: $(customers buyer)"

step "Both audit logs: every step above is on record, and the chains verify"
on seller dpo audit log --json | grep -oE '"op":"(transfer|handover)[^"]*"' | sort | uniq -c | sed 's/^/  seller /'
on buyer admin audit log --json | grep -oE '"op":"handover[^"]*"' | sort | uniq -c | sed 's/^/  buyer  /'
on seller dpo audit verify | sed 's/^/  seller: /'
on buyer admin audit verify | sed 's/^/  buyer: /'

step "A second company, lianhua-retail, is deregistered (注销)"
new_vault retail examples/schema-retail.yaml
"$gen" -n 2000 --seed 9 | on retail admin import - --drop-undeclared | tail -n 1
on retail dpo hold add C00000007 --reason "court case (2026)沪0104民初123号" > /dev/null
echo "  a legal hold on C00000007; the accounting law keeps invoices 10 years (schema: law:)"
on retail dpo decommission plan | grep -E '"(customers|destroy|values_kept_by_law|whole_under_legal_hold)"' | tr -s ' '
(umask 077; age-keygen -o "$demo/keeper.age" 2> /dev/null)
RUN_OPTS=(-o "$demo/retail-archive.age" --certificates "$demo/retail.certificates.json"
          --report "$demo/retail-final-report.json")
approved retail dpo admin decommission run --keeper-name "清算组 liquidation committee" \
  --keeper-contact "liquidator@example.cn" --keeper-key "$(age-keygen -y "$demo/keeper.age")"
grep -E '"(customers_before|archived_whole|archived_values_kept_by_law|shredded|customers_left|verified)"' \
  "$demo/retail-final-report.json" | tr -s ' '
echo "  customers left in the retail vault: $(customers retail)"

step "No plaintext on disk: the buyer's vault files hold no name, phone or ID number in clear"
json=$(on buyer admin get C00000002 --purpose all --clear --json)
found=0
for f in name phone id_number; do
  value=$(echo "$json" | sed -n "s/.*\"$f\":\"\([^\"]*\)\".*/\1/p")
  [[ -n $value ]] || continue
  if grep -rqF -- "$value" "$demo/buyer" "$demo/buyer.keyring" "$demo/seller"; then
    echo "  FOUND $f of C00000002 in clear"; found=1
  else
    echo "  searched both vaults' files for C00000002's $f in clear: not found"
  fi
done
((found == 0)) || exit 1

step "Summary"
cat <<EOF
  seller acme-logistics: $count customers; transfer $plan planned and assessed; notices
    rendered; 3 customers objected or asked for deletion and were shredded instead;
    the package was exported with approval, its receipt checked, the seller's copy
    shredded with certificates (build/demo/*.certificates.json); customers left: $(customers seller)
  buyer xinyun: package verified (signature, hashes, root) and imported under its own
    keys; receipt signed (build/demo/receipt.json); customers: $(customers buyer)
  lianhua-retail: deregistered; held and law-kept data archived for the keeper
    (build/demo/retail-archive.age), the rest shredded; final report signed
    (build/demo/retail-final-report.json); customers left: $(customers retail)
  both audit logs verified.
EOF
