#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests: its own data folder, socket, log and port
# under a folder git ignores, listening on the loopback interface only, trust authentication for a
# local role. The system's clusters (if any) are left alone.
#
#   scripts/postgres.sh start    start (or find running) and print an Npgsql connection string
#   scripts/postgres.sh stop     stop it; does nothing when it is not running
#   scripts/postgres.sh status   print the connection string and exit 0 when it answers, else exit 3
#
# PostgreSQL refuses to run as root: under root the server runs as the 'postgres' user (which the
# Debian package creates). When that user cannot reach the data folder (a checkout under /root,
# say), the cluster lives in a folder of /tmp instead, and .data/postgres/cluster-path says where.
#
# Environment:
#   POSTGRES_DATA_DIR       folder for the cluster, socket and log (default .data/postgres)
#   POSTGRES_PORT           TCP port on 127.0.0.1 (default 15432)
#   POSTGRES_USER           the role tests connect as (default experiments; it may create databases)
#   POSTGRES_DB             its database (default experiments)
#   POSTGRES_START_TIMEOUT  seconds to wait for the server (default 60)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data_dir=${POSTGRES_DATA_DIR:-$root/.data/postgres}
port=${POSTGRES_PORT:-15432}
role=${POSTGRES_USER:-experiments}
database=${POSTGRES_DB:-experiments}
start_timeout=${POSTGRES_START_TIMEOUT:-60}

connection="Host=127.0.0.1;Port=$port;Username=$role;Database=$database"

log() { echo "postgres.sh: $*" >&2; }

# The newest installed server's binaries, installing Debian's package when there is none.
find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { log "PostgreSQL is missing and installing it needs root"; exit 1; }
    sudo="sudo"
  fi
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y postgresql >&2; then
    $sudo apt-get update >&2
    $sudo apt-get install -y postgresql >&2
  fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] || { log "no PostgreSQL binaries under /usr/lib/postgresql after installing"; exit 1; }
  echo "$dir"
}

# Runs a command as the server's owner: 'postgres' under root, else the caller.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Where the cluster lives: under the data folder, or under /tmp when the server's user cannot reach it.
cluster_home() {
  mkdir -p "$data_dir"
  if [ -f "$data_dir/cluster-path" ]; then
    cat "$data_dir/cluster-path"
    return
  fi
  local home="$data_dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$data_dir"
    if ! runuser -u postgres -- test -w "$data_dir"; then
      home="/tmp/experiments-postgres-$port"
      mkdir -p "$home"
      chown postgres: "$home"
      chmod 700 "$home"
      log "the postgres user cannot reach $data_dir; the cluster lives in $home"
    fi
  fi
  echo "$home" >"$data_dir/cluster-path"
  echo "$home"
}

answers() {
  local bin=$1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1
}

start() {
  local bin home cluster
  bin=$(find_bin)
  home=$(cluster_home)
  cluster="$home/cluster"
  if answers "$bin"; then
    if [ -f "$cluster/postmaster.pid" ]; then
      echo "$connection"
      return
    fi
    log "another server already answers on port $port; choose another POSTGRES_PORT"
    exit 1
  fi
  if [ ! -f "$cluster/PG_VERSION" ]; then
    as_owner mkdir -p "$cluster"
    as_owner "$bin/initdb" -D "$cluster" --username=postgres --auth=trust --encoding=UTF8 --locale=C >"$home/initdb.log" 2>&1 \
      || { log "initdb failed:"; cat "$home/initdb.log" >&2; exit 1; }
    # Test settings: loopback only, no durability work (the data is disposable).
    as_owner tee -a "$cluster/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$cluster'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
  rm -f "$home/postgres.log" 2>/dev/null || true
  if ! as_owner "$bin/pg_ctl" -D "$cluster" -l "$home/postgres.log" -w -t "$start_timeout" start >/dev/null; then
    log "the server did not start; last lines of its log:"
    tail -n 20 "$home/postgres.log" >&2 2>/dev/null || true
    exit 1
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != "1" ]; then
    "${psql[@]}" -c "CREATE ROLE \"$role\" LOGIN CREATEDB" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != "1" ]; then
    "${psql[@]}" -c "CREATE DATABASE \"$database\" OWNER \"$role\"" >/dev/null
  fi
  echo "$connection"
}

stop() {
  local bin home cluster
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$bin" ] || return 0
  [ -f "$data_dir/cluster-path" ] || [ -d "$data_dir/cluster" ] || return 0
  home=$(cluster_home)
  cluster="$home/cluster"
  [ -f "$cluster/postmaster.pid" ] || return 0
  as_owner "$bin/pg_ctl" -D "$cluster" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || as_owner "$bin/pg_ctl" -D "$cluster" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

status() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$bin" ] && answers "$bin"; then
    echo "$connection"
  else
    echo "not running" >&2
    exit 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
