#!/usr/bin/env bash
# A private ClickHouse server for development and tests: its own configuration, data, logs and
# ports under a folder git ignores, listening on the loopback interface only. The system service
# (if any) is left alone.
#
#   scripts/clickhouse.sh start    start (or find running) and print the HTTP URL
#   scripts/clickhouse.sh stop     stop it; does nothing when it is not running
#   scripts/clickhouse.sh status   print the URL and exit 0 when it answers, else exit 3
#
# Environment:
#   CLICKHOUSE_DATA_DIR          folder for config, data, logs and the pid file (default .data/clickhouse)
#   CLICKHOUSE_HTTP_PORT         HTTP port (default 18123)
#   CLICKHOUSE_TCP_PORT          native protocol port (default 19000)
#   CLICKHOUSE_INTERSERVER_PORT  interserver HTTP port (default 19009)
#   CLICKHOUSE_START_TIMEOUT     seconds to wait for "SELECT 1" to answer (default 60)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data_dir=${CLICKHOUSE_DATA_DIR:-$root/.data/clickhouse}
case "$data_dir" in /*) ;; *) data_dir="$PWD/$data_dir" ;; esac # the server's config needs absolute paths
http_port=${CLICKHOUSE_HTTP_PORT:-18123}
tcp_port=${CLICKHOUSE_TCP_PORT:-19000}
interserver_port=${CLICKHOUSE_INTERSERVER_PORT:-19009}
start_timeout=${CLICKHOUSE_START_TIMEOUT:-60}
system_config=/etc/clickhouse-server

url="http://127.0.0.1:$http_port/"
pid_file="$data_dir/clickhouse-server.pid"

log() { echo "clickhouse.sh: $*" >&2; }

# Installs Debian's server and client when the server binary is missing.
ensure_installed() {
  if command -v clickhouse-server >/dev/null 2>&1 && [ -f "$system_config/config.xml" ]; then
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { log "clickhouse-server is missing and installing it needs root"; exit 1; }
    sudo="sudo"
  fi
  log "installing clickhouse-server and clickhouse-client"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y clickhouse-server clickhouse-client >&2; then
    $sudo apt-get update >&2
    $sudo apt-get install -y clickhouse-server clickhouse-client >&2
  fi
  # The package may start the system service; the private server does not need it.
}

# One HTTP GET of "SELECT 1" over bash's /dev/tcp (no curl needed); succeeds when the body is "1".
answers() {
  local response
  response=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
    printf "GET /?query=SELECT%%201 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 && cat <&3' "$http_port" 2>/dev/null) || return 1
  [ "${response##*$'\n'}" = "1" ]
}

running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Copies the packaged configuration and overrides, in config.d, everything that would touch the
# system service's files or ports.
write_config() {
  local etc="$data_dir/etc" store="$data_dir/store"
  mkdir -p "$etc/config.d" "$store/tmp" "$store/user_files" "$store/format_schemas" "$data_dir/log"
  cp "$system_config/config.xml" "$etc/config.xml"
  cp "$system_config/users.xml" "$etc/users.xml"
  local schema_line=""
  if grep -q '<format_schema_path>' "$etc/config.xml"; then
    schema_line="<format_schema_path>$store/format_schemas/</format_schema_path>"
  fi
  cat >"$etc/config.d/private.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$data_dir/log/clickhouse-server.log</log>
        <errorlog>$data_dir/log/clickhouse-server.err.log</errorlog>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http_port</http_port>
    <tcp_port>$tcp_port</tcp_port>
    <interserver_http_port>$interserver_port</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <path>$store/</path>
    <tmp_path>$store/tmp/</tmp_path>
    <user_files_path>$store/user_files/</user_files_path>
    $schema_line
    <timezone>UTC</timezone>
    <remote_servers>
        <!-- Two shards on this one server, a database each, to run queries over Distributed tables. -->
        <experiments_two_local_shards>
            <shard>
                <replica>
                    <host>127.0.0.1</host>
                    <port>$tcp_port</port>
                    <default_database>experiments_shard_1</default_database>
                </replica>
            </shard>
            <shard>
                <replica>
                    <host>127.0.0.1</host>
                    <port>$tcp_port</port>
                    <default_database>experiments_shard_2</default_database>
                </replica>
            </shard>
        </experiments_two_local_shards>
    </remote_servers>
</yandex>
EOF
}

start() {
  if running_pid >/dev/null; then
    if answers; then
      echo "$url"
      return
    fi
  fi
  if answers; then
    log "another server already answers on $url; choose another CLICKHOUSE_HTTP_PORT"
    exit 1
  fi
  ensure_installed
  mkdir -p "$data_dir"
  write_config
  local server
  server=$(command -v clickhouse-server)
  # Detached from this shell's output so that a caller reading our stdout is not held open.
  nohup "$server" --config-file="$data_dir/etc/config.xml" \
    </dev/null >"$data_dir/log/stdout.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$pid_file"
  local deadline=$((SECONDS + start_timeout))
  until answers && kill -0 "$pid" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the server exited during start-up; last lines of its logs:"
      tail -n 20 "$data_dir/log/stdout.log" "$data_dir/log/clickhouse-server.err.log" >&2 2>/dev/null || true
      rm -f "$pid_file"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "no answer to SELECT 1 on $url after ${start_timeout}s"
      stop
      exit 1
    fi
    sleep 0.3
  done
  echo "$url"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    return
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "the server did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
}

status() {
  if running_pid >/dev/null && answers; then
    echo "$url"
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
