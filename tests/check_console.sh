#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The web console end to end (issue 13): a vault with users made by the command
# (pivault-test: fast Argon2id), `pivault serve --plain-http` on loopback, and
# tests/console/console.test.js driving Debian's headless chromium through
# playwright-core (npm; installed with `npm ci` from the committed lock into
# BUILD_DIR/console-test, once per lock). Screenshots go to BUILD_DIR/console-*.png.
# Where chromium, node or npm is absent (or the driver cannot be installed): exit 77
# (CTest: skipped), unless PV_REQUIRE_CHROMIUM=1 (CI, whose scripts/setup.sh installs
# them), where that fails.
# Usage: check_console.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
skip() {
  if [[ ${PV_REQUIRE_CHROMIUM:-0} == 1 ]]; then
    echo "FAIL: $* (scripts/setup.sh installs it)"
    exit 1
  fi
  echo "$*: skipped"
  exit 77
}
fail() { echo "FAIL: $*"; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || skip "chromium is not installed"
command -v node > /dev/null || skip "node is not installed"
command -v npm > /dev/null || skip "npm is not installed"

# the driver, from the committed lock
driver=$build/console-test
if ! cmp -s "$src/tests/console/package-lock.json" "$driver/package-lock.json" ||
   [[ ! -f $driver/node_modules/playwright-core/package.json ]]; then
  rm -rf "$driver" && mkdir -p "$driver"
  cp "$src/tests/console/package.json" "$src/tests/console/package-lock.json" "$driver/"
  (cd "$driver" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) > "$driver.log" 2>&1 ||
    { cat "$driver.log"; rm -f "$driver/package-lock.json"; skip "npm ci could not install the driver"; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pv-console.XXXXXX")
spid=
cleanup() {
  [[ -n $spid ]] && kill "$spid" 2> /dev/null && wait "$spid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
pvt=$build/pivault-test
export PIVAULT_KEY_FILE=$work/root.key PIVAULT_PASSWORD_FILE=$work/admin.pw
root() { "$pvt" "$@" --vault "$work/v" --role admin; }
printf 'admin-console-password\n' > "$work/admin.pw"
"$build/pvgen" -n 40 --seed 11 --canonical > "$work/in.csv" || fail "pvgen"
"$pvt" keygen "$work/root.key" > /dev/null || fail "keygen"
"$pvt" init "$work/v" --schema "$src/examples/schema.yaml" --slots 16 > /dev/null 2>&1 ||
  fail "init"
root import "$work/in.csv" > /dev/null 2>&1 || fail "import"
# a customer whose name is markup with a script in it (stored cross-site scripting): the
# console must show it as text, and run nothing
{ head -n 1 "$work/in.csv"
  grep -m1 -E "^C00000003," "$work/in.csv" |
    sed 's/^C00000003,[^,]*,/C00000099,<img src=x onerror=alert(document.domain)>,/'
} > "$work/markup.csv"
root import "$work/markup.csv" > "$work/markup.log" 2>&1 ||
  fail "import of the markup name: $(cat "$work/markup.log")"

# A user NAME with ROLES and password PASSWORD (break-glass add by the root secret, which
# receives both halves of the enrolment code), and their obligations met.
add_user() {
  local name=$1 roles=$2 out
  printf '%s\n' "$3" > "$work/$name.pw"
  out=$(root user add "$name" --roles "$roles" 2>&1) || fail "user add $name: $out"
  sed -n 's/^enrolment code, first half: *//p' <<< "$out" > "$work/$name.a"
  sed -n 's/^enrolment code, second half: *//p' <<< "$out" > "$work/$name.b"
  "$pvt" user enrol "$name" --vault "$work/v" --first-half-file "$work/$name.a" \
    --second-half-file "$work/$name.b" --password-file "$work/$name.pw" > /dev/null 2>&1 ||
    fail "user enrol $name"
  root user attest "$name" --agreement "$(date -u +%Y-%m-%d)" \
    --training "$(date -u +%Y-%m-%d)" > /dev/null 2>&1 || fail "user attest $name"
}
add_user clerk1 clerk 'clerk1-console-password'
add_user dpo1 dpo 'dpo1-console-password'
add_user dpo2 dpo 'dpo2-console-password'

# the queues: two requests of dpo1's to decide (four eyes), an erasure and a restriction
# asked for by customers
as_dpo1() {
  env -u PIVAULT_KEY_FILE PIVAULT_USER=dpo1 PIVAULT_PASSWORD_FILE="$work/dpo1.pw" \
    "$pvt" "$@" --vault "$work/v" --role dpo
}
as_dpo1 request shred C00000010 --reason "the customer asked by letter" > /dev/null 2>&1 ||
  fail "request shred C00000010"
as_dpo1 request shred C00000011 --reason "a duplicate record" > /dev/null 2>&1 ||
  fail "request shred C00000011"
root dsr open --customer C00000012 --type delete > /dev/null 2>&1 || fail "dsr open delete"
root dsr open --customer C00000013 --type restrict > /dev/null 2>&1 || fail "dsr open restrict"

# a recipient's age key for the transfer wizard
age-keygen 2> /dev/null | sed -n 's/^# public key: //p' > "$work/recipient.pub"
[[ -s $work/recipient.pub ]] || fail "age-keygen made no key"

# one customer, and its clear values the clerk must never see
record=$(grep -m1 -E '^C00000003,' "$work/in.csv") || fail "no customer C00000003"
phone=$(cut -d, -f3 <<< "$record")
idnum=$(cut -d, -f4 <<< "$record")
phone=${phone#+86}
[[ $phone =~ ^1[0-9]{10}$ ]] || fail "no phone read from the input"

"$pvt" serve --vault "$work/v" --listen 127.0.0.1:0 --plain-http --sign-in-per-address 1000 \
  --sign-in-per-user 1000 > "$work/serve.out" 2>&1 &
spid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's|^pivault serve: listening on \(http://[^ ]*\)$|\1|p' "$work/serve.out")
  [[ -n $url ]] && break
  kill -0 "$spid" 2> /dev/null || break
  sleep 0.1
done
[[ -n $url ]] || fail "the server did not start: $(cat "$work/serve.out")"

PV_URL=$url PV_CHROMIUM=$browser PV_SHOTS=$build PV_CUSTOMER=C00000003 PV_PHONE=$phone \
  PV_IDNUM=$idnum PV_MARKUP=C00000099 PV_AGE_KEY=$(cat "$work/recipient.pub") NODE_PATH=$driver/node_modules \
  timeout 300 node "$src/tests/console/console.test.js" || fail "the console test failed"
