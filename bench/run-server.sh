#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Server benchmark: `pivault serve` over TLS on loopback, driven by wrk (Debian's package)
# with CONNS connections, against GET /v1/customers/{id} (ids in random order) and find by
# phone, each request doing its real work (session check, authorisation, decryption,
# masking, audit entry durable before the response). Prints wrk's figures (requests/s,
# latency percentiles) per route, and the audit writer's groups.
# Usage: bench/run-server.sh BUILD_DIR [N] [CONNS] [THREADS] [SECONDS] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:?build dir}; n=${2:-100000}; conns=${3:-64}; threads=${4:-2}; secs=${5:-10}
work=${6:-$(mktemp -d /tmp/pvserve-XXXXXX)}
pv=$b/pivault
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
mkdir -p "$work"; rm -rf "$work/v" "$work/v.keyring"
export PIVAULT_KEY_FILE=$work/key PIVAULT_VAULT=$work/v PIVAULT_PASSWORD_FILE=$work/pw
echo 'server-bench-admin-password' >"$work/pw"
[[ -s $work/c.csv ]] || "$b"/pvgen -n "$n" -o "$work/c.csv" >/dev/null
[[ -s $work/key ]] || "$pv" keygen "$work/key" >/dev/null
"$pv" init "$work/v" --schema examples/schema.yaml >/dev/null
"$pv" import "$work/c.csv" --role admin >/dev/null
certtool --generate-privkey --key-type ed25519 --outfile "$work/tls.key" 2>/dev/null
printf 'cn = localhost\nip_address = 127.0.0.1\nexpiration_days = 2\ntls_www_server\n' \
	>"$work/tls.tmpl"
certtool --generate-self-signed --load-privkey "$work/tls.key" --template "$work/tls.tmpl" \
	--outfile "$work/tls.crt" 2>/dev/null
port=$((20000 + RANDOM % 20000))
"$pv" serve --listen "127.0.0.1:$port" --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" \
	--threads "$threads" --max-connections $((conns * 2)) --reads-per-second 1000000 --reads-burst 1000000 \
	>"$work/serve.out" 2>&1 &
spid=$!
trap 'kill $spid 2>/dev/null || true; wait $spid 2>/dev/null || true' EXIT
url=https://127.0.0.1:$port
for _ in $(seq 100); do curl -sk "$url/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -sk -X POST "$url/v1/sessions" -H 'Content-Type: application/json' \
	-d '{"user":"admin","password":"server-bench-admin-password"}' |
	sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p')
[[ -n $token ]] || { echo "no session token" >&2; cat "$work/serve.out" >&2; exit 1; }
# phones as the file writes them (third column of a record's first line: a quoted field
# may run over lines), for find by phone
grep -E '^C[0-9]{8},' "$work/c.csv" | cut -d, -f3 | shuf -n 20000 --random-source=<(yes) \
	>"$work/phones"
cat >"$work/get.lua" <<EOF
math.randomseed(7)
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  return wrk.format("GET", string.format("/v1/customers/C%08d?purpose=service", math.random(1, $n)))
end
EOF
cat >"$work/find.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $token"
local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
phones = {}
for line in io.lines("$work/phones") do phones[#phones + 1] = encode(line) end
i = 0
request = function()
  i = i % #phones + 1
  return wrk.format("GET", "/v1/customers?phone=" .. phones[i] .. "&purpose=service")
end
EOF
echo "== $n customers, $conns connections, $threads server threads, ${secs}s, TLS"
echo "-- GET /v1/customers/{id}, random ids"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/get.lua" "$url" | sed -n '1,/Transfer/p'
echo "-- find by phone (the file's written forms)"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/find.lua" "$url" | sed -n '1,/Transfer/p'
