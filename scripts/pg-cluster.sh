#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster on loopback for the PostgreSQL store's tests (issue 15):
#   scripts/pg-cluster.sh start DIR   make and start one in DIR (a new directory), user
#                                     pivault with a random password; writes DIR/conninfo
#                                     (no password in it) and DIR/pgpass (PGPASSFILE form)
#   scripts/pg-cluster.sh stop DIR    stop it and remove DIR
# The server never runs as root: as root, it runs as Debian's postgres user.
set -euo pipefail
cmd=${1:?start or stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $bin/initdb ]] || { echo "pg-cluster: PostgreSQL is not installed" >&2; exit 1; }
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
start)
  mkdir -m 755 "$dir"
  mkdir -m 700 "$dir/data"
  [[ $(id -u) -ne 0 ]] || chown postgres: "$dir" "$dir/data"
  pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  (umask 077; printf '%s\n' "$pw" >"$dir/pw")
  [[ $(id -u) -ne 0 ]] || chown postgres: "$dir/pw"
  as_owner "$bin/initdb" -D "$dir/data" -U pivault --pwfile="$dir/pw" -A scram-sha-256 \
    -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pw"
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 20000))
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on" >/dev/null 2>&1; then
      break
    fi
    port=
  done
  [[ -n $port ]] || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql://pivault@127.0.0.1:$port/postgres" >"$dir/conninfo"
  (umask 077; printf '127.0.0.1:%s:*:pivault:%s\n' "$port" "$pw" >"$dir/pgpass")
  ;;
stop)
  [[ -d $dir/data ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: pg-cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
