#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster on loopback for the PostgreSQL store's tests (issue 15):
#   scripts/pg-cluster.sh start DIR   make and start one in DIR (a new directory), user
#                                     pivault with a random password; writes DIR/conninfo
#                                     (no password in it) and DIR/pgpass (PGPASSFILE form)
#   scripts/pg-cluster.sh stop DIR    stop it and remove DIR
# For point-in-time recovery (tests/test_pg_pitr.c):
#   scripts/pg-cluster.sh start-archived DIR
#                                     as start, with WAL archiving on: each finished WAL
#                                     segment copied into DIR/archive
#   scripts/pg-cluster.sh basebackup DIR OUT
#                                     a base backup of DIR's cluster (pg_basebackup) in OUT
#   scripts/pg-cluster.sh switch-wal DIR
#                                     end the current WAL segment and wait until the
#                                     archive holds it (so it holds every commit before)
#   scripts/pg-cluster.sh restore DIR OUT NEW [POINT]
#                                     a new cluster in NEW (stopped by stop NEW) from the base
#                                     backup OUT and DIR/archive, recovered up to the restore
#                                     point named POINT (pg_create_restore_point), or to the
#                                     archive's end without one, then promoted; writes
#                                     NEW/conninfo and NEW/pgpass as start does
# The server never runs as root: as root, it runs as Debian's postgres user.
cmd=${1:?start, stop, start-archived, basebackup, switch-wal or restore}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $bin/initdb ]] || { echo "pg-cluster: PostgreSQL is not installed" >&2; exit 1; }
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# A new directory $1 (and $1/data) the server's owner can use.
make_dirs() {
  mkdir -m 755 "$1"
  mkdir -m 700 "$1/data"
  [[ $(id -u) -ne 0 ]] || chown postgres: "$1" "$1/data"
}
# Start the cluster in $1/data on a free port (tries: attempts, 20; each waits wait_s, 30 s)
# with the server options $2; writes $1/conninfo
# and $1/pgpass (password $3). Sets port.
start_server() {
  for _ in $(seq "${attempts:-20}"); do
    port=$((20000 + RANDOM % 20000))
    if as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t "${wait_s:-30}" start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $1 -c fsync=on $2" >/dev/null 2>&1; then
      break
    fi
    port=
  done
  [[ -n $port ]] || { cat "$1/server.log" >&2; exit 1; }
  echo "postgresql://pivault@127.0.0.1:$port/postgres" >"$1/conninfo"
  (umask 077; printf '127.0.0.1:%s:*:pivault:%s\n' "$port" "$3" >"$1/pgpass")
}
# Make and start a new cluster in $1 with the server options $2 ($3 "archive": with $1/archive).
start_new() {
  make_dirs "$1"
  if [[ ${3:-} == archive ]]; then
    mkdir -m 700 "$1/archive"
    [[ $(id -u) -ne 0 ]] || chown postgres: "$1/archive"
  fi
  pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  (umask 077; printf '%s\n' "$pw" >"$1/pw")
  [[ $(id -u) -ne 0 ]] || chown postgres: "$1/pw"
  as_owner "$bin/initdb" -D "$1/data" -U pivault --pwfile="$1/pw" -A scram-sha-256 \
    -E UTF8 --no-locale >"$1/initdb.log" 2>&1 || { cat "$1/initdb.log" >&2; exit 1; }
  rm -f "$1/pw"
  start_server "$1" "$2" "$pw"
}
# psql on DIR's cluster as pivault (the password from DIR/pgpass): one value.
sql_value() {
  PGPASSFILE=$1/pgpass "$bin/psql" -X -At -d "$(cat "$1/conninfo")" -c "$2"
}
case $cmd in
start)
  start_new "$dir" ""
  ;;
start-archived)
  # The archive is written by the server's owner: a segment already there is never replaced.
  start_new "$dir" "-c archive_mode=on -c wal_level=replica -c archive_command='test ! -f $dir/archive/%f && cp %p $dir/archive/%f'" archive
  ;;
basebackup)
  out=${3:?base backup directory}
  port=$(sed -E 's|.*:([0-9]+)/.*|\1|' "$dir/conninfo")
  PGPASSFILE=$dir/pgpass "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U pivault -D "$out" \
    -c fast -X stream >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  ;;
switch-wal)
  seg=$(sql_value "$dir" "SELECT pg_walfile_name(pg_switch_wal())")
  for _ in $(seq 600); do
    [[ -f $dir/archive/$seg ]] && exit 0
    sleep 0.1
  done
  echo "pg-cluster: WAL segment $seg did not reach the archive" >&2; exit 1
  ;;
restore)
  out=${3:?base backup directory}; new=${4:?new cluster directory}; point=${5:-}
  make_dirs "$new"
  cp -a "$out/." "$new/data/"
  [[ $(id -u) -ne 0 ]] || chown -R postgres: "$new/data"
  touch "$new/data/recovery.signal"
  [[ $(id -u) -ne 0 ]] || chown postgres: "$new/data/recovery.signal"
  opts="-c archive_mode=off -c restore_command='cp $dir/archive/%f %p' -c recovery_target_action=promote"
  [[ -z $point ]] || opts+=" -c recovery_target_name=$point"
  attempts=3 wait_s=120 start_server "$new" "$opts" "$(cut -d: -f5- "$dir/pgpass")"
  for _ in $(seq 600); do
    [[ $(sql_value "$new" "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && exit 0
    sleep 0.1
  done
  echo "pg-cluster: the restored cluster in $new was not promoted" >&2; cat "$new/server.log" >&2; exit 1
  ;;
stop)
  [[ -d $dir/data ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: pg-cluster.sh start|stop|start-archived|basebackup|switch-wal|restore DIR ..." >&2; exit 2 ;;
esac
