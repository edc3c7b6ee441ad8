#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster on loopback for the PostgreSQL store's tests (issue 15):
#   scripts/pg-cluster.sh start DIR   make and start one in DIR (a new directory), user
#                                     pivault with a random password; writes DIR/conninfo
#                                     (no password in it) and DIR/pgpass (PGPASSFILE form)
#   scripts/pg-cluster.sh stop DIR    stop it and remove DIR
#   (PV_PG_FSYNC=off: a cluster that does not flush to the disk, for the test suite's speed)
# Failover (a primary and its streaming standby; tests/test_pg_failover.c):
#   scripts/pg-cluster.sh standby PRIMARY_DIR DIR   a standby of the running cluster in
#                                     PRIMARY_DIR, started in DIR (a new directory) on a port
#                                     of its own: pg_basebackup -R over a replication slot,
#                                     the same user and password (DIR/conninfo, DIR/pgpass);
#                                     once it streams, the primary is made synchronous
#                                     (synchronous_standby_names = '*': a commit returns once
#                                     the standby has the WAL on its disk, with the session's
#                                     synchronous_commit = on, which pivault sets)
#   scripts/pg-cluster.sh promote DIR the standby in DIR becomes a primary (pg_ctl promote)
#   scripts/pg-cluster.sh kill DIR    the server in DIR killed at once (SIGKILL to the
#                                     postmaster and each of its processes: a crash, nothing
#                                     flushed or sent on the way out); stop DIR removes it
#   scripts/pg-cluster.sh pause DIR   every process of the server in DIR stopped (SIGSTOP),
#   scripts/pg-cluster.sh resume DIR  and let go on (SIGCONT): a standby that stops answering
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
set -euo pipefail
cmd=${1:?start, stop, standby, promote, kill, pause, resume, start-archived, basebackup, switch-wal or restore}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $bin/initdb ]] || { echo "pg-cluster: PostgreSQL is not installed" >&2; exit 1; }
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# ---- Failover: a standby of a running cluster, promotion, a crash ----
# The port of the cluster in DIR (from DIR/conninfo).
port_of() { sed -E 's|.*:([0-9]+)/.*|\1|' "$1/conninfo"; }
# SQL run on the cluster in DIR as pivault (one value printed, unaligned).
sql_on() {
  PGPASSFILE="$1/pgpass" "$bin/psql" -X -A -t -v ON_ERROR_STOP=1 \
    "postgresql://pivault@127.0.0.1:$(port_of "$1")/postgres" -c "$2"
}
# Wait up to 30 s until sql_on DIR SQL prints WANT.
wait_for() {
  for _ in $(seq 300); do
    [[ $(sql_on "$1" "$2" 2>/dev/null) == "$3" ]] && return 0
    sleep 0.1
  done
  echo "pg-cluster: timed out waiting for: $2" >&2; return 1
}
standby() {
  local primary=$1 pw port
  [[ -s $primary/conninfo ]] || { echo "pg-cluster: no cluster in $primary" >&2; exit 1; }
  pw=$(cut -d: -f5- "$primary/pgpass")
  mkdir -m 755 "$dir"
  mkdir -m 700 "$dir/data"
  # the server's own password file (the standby's primary_conninfo names it), its owner's
  (umask 077; printf '127.0.0.1:*:*:pivault:%s\n' "$pw" >"$dir/server.pgpass")
  [[ $(id -u) -ne 0 ]] || chown postgres: "$dir" "$dir/data" "$dir/server.pgpass"
  as_owner "$bin/pg_basebackup" -D "$dir/data" -R -X stream -C -S pv_standby \
    -d "host=127.0.0.1 port=$(port_of "$primary") user=pivault passfile=$dir/server.pgpass" \
    >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  start_server "$dir" "" "$pw"
  wait_for "$primary" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 1
  # synchronous from now on: a commit waits for the standby's flush (synchronous_commit =
  # on); made after the base backup, so the standby, once promoted, waits for nobody
  sql_on "$primary" "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
  sql_on "$primary" "SELECT pg_reload_conf()" >/dev/null
  wait_for "$primary" "SELECT sync_state FROM pg_stat_replication" sync
}
# The postmaster's pid (the data directory's postmaster.pid, first line).
postmaster_of() { head -n 1 "$dir/data/postmaster.pid"; }
# SIGSTOP or SIGCONT ($1) to every process of the server in DIR, the postmaster held still
# while its children are listed (pause: a standby that stops acknowledging, so that the
# primary's synchronous commits wait for it)
signal_all() {
  local pm kids
  pm=$(postmaster_of)
  kill -STOP "$pm"
  kids=$(cat "/proc/$pm/task/"*/children)
  # shellcheck disable=SC2086
  kill "-$1" $kids
  [[ $1 == STOP ]] || kill -CONT "$pm"
}
# 0 while process $1 runs (a zombie, dead but not yet reaped, does not)
running() {
  local st
  st=$(sed -E 's/.*\) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ ${st:0:1} != Z ]]
}
crash() {
  local pm shm dsm kids p
  pm=$(postmaster_of)
  kill -STOP "$pm" # it forks no new process while its children are listed
  # what a crash leaves behind, to remove once nobody holds it: the System V segment
  # (postmaster.pid's seventh line) and the dynamic segments its processes map
  shm=$(awk 'NR == 7 { print $2 }' "$dir/data/postmaster.pid")
  kids=$(cat "/proc/$pm/task/"*/children)
  dsm=$(for p in $pm $kids; do cat "/proc/$p/maps" 2>/dev/null; done |
    grep -o '/dev/shm/PostgreSQL\.[0-9]*' | sort -u || true)
  # shellcheck disable=SC2086
  kill -KILL "$pm" $kids
  for p in $pm $kids; do
    for _ in $(seq 100); do running "$p" || break; sleep 0.05; done
  done
  [[ -z $shm ]] || ipcrm -m "$shm" 2>/dev/null || true
  # shellcheck disable=SC2086
  [[ -z $dsm ]] || rm -f $dsm
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
      -o "-c listen_addresses=127.0.0.1 -p $port -k $1 -c fsync=${PV_PG_FSYNC:-on} $2" >/dev/null 2>&1; then
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
  seg=$(sql_on "$dir" "SELECT pg_walfile_name(pg_switch_wal())")
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
    [[ $(sql_on "$new" "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && exit 0
    sleep 0.1
  done
  echo "pg-cluster: the restored cluster in $new was not promoted" >&2; cat "$new/server.log" >&2; exit 1
  ;;
stop)
  [[ -d $dir/data ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
standby)
  primary=$dir; dir=${3:?standby directory}
  standby "$primary"
  ;;
promote)
  as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 promote >/dev/null
  ;;
kill) crash ;;
pause) signal_all STOP ;;
resume) signal_all CONT ;;
*) echo "usage: pg-cluster.sh start|stop|start-archived|switch-wal DIR, standby PRIMARY_DIR DIR," \
     "promote|kill|pause|resume DIR, basebackup DIR OUT, restore DIR OUT NEW [POINT]" >&2
   exit 2 ;;
esac
