#!/usr/bin/env bash
# Load on the A/B decision API with Debian's wrk: 64 connections over loopback for 30 s against
# GET /api/v1/decisions/{id} with a valid reader key, on a service whose results were published by a
# real analysis of a small generated workload. Prints wrk's latency distribution and requests/s.
#
#   benchmarks/decisions-load.sh [--duration 30s] [--connections 64] [--threads 2]
#
# Uses its own ClickHouse (ports 18623/19623/19624) and its own folder under .data/; stops both after.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=30s connections=64 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >/dev/null; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
folder="$PWD/.data/decisions-load"
rm -rf "$folder" && mkdir -p "$folder"
export CLICKHOUSE_DATA_DIR="$folder/clickhouse" CLICKHOUSE_HTTP_PORT=18623 CLICKHOUSE_TCP_PORT=19623 CLICKHOUSE_INTERSERVER_PORT=19624
service=""
cleanup() {
  [ -n "$service" ] && kill "$service" 2>/dev/null || true
  scripts/clickhouse.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

dotnet build Experiments.Api -c Release -nologo -v quiet >/dev/null
dotnet build Experiments.Jobs -c Release -nologo -v quiet >/dev/null
clickhouse=$(scripts/clickhouse.sh start)
dotnet run --project Experiments.Jobs -c Release --no-build -- generate-demo --clickhouse "$clickhouse" --database loadtest \
  --users 4000 --out "$folder/demo" >/dev/null

key="exp_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
port=18680
base="http://127.0.0.1:$port"
ClickHouse__Endpoint="$clickhouse" ClickHouse__Database=loadtest ResultsStore__ConnectionString="Data Source=$folder/experiments.db" \
Auth__BootstrapAdminKey="$key" Auth__PermitsPerSecond=1000000 Auth__Burst=1000000 Logging__LogLevel__Default=Warning \
  dotnet run --project Experiments.Api -c Release --no-build -- --urls "$base" >"$folder/service.log" 2>&1 &
service=$!
for _ in $(seq 1 120); do curl -fsS "$base/health/live" >/dev/null 2>&1 && break; sleep 0.5; done
auth=(-H "Authorization: Bearer $key")

# The demo's A/B test, analysed for real; then a reader key for the load.
id=checkout-redesign
curl -fsS "${auth[@]}" -X PUT "$base/api/v1/experiments/$id" -H 'Content-Type: application/json' --data @"$folder/demo/$id.json" >/dev/null
run=$(curl -fsS "${auth[@]}" -X POST "$base/api/v1/experiments/$id/analyses" -H 'Content-Type: application/json' -d '{}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
for _ in $(seq 1 240); do
  status=$(curl -fsS "${auth[@]}" "$base/api/v1/runs/$run" | sed -E 's/.*"status":"([^"]+)".*/\1/')
  case "$status" in succeeded|failed) break ;; esac
  sleep 0.5
done
[ "$status" = succeeded ] || { echo "the analysis did not succeed: $status"; exit 1; }
reader=$(curl -fsS "${auth[@]}" -X POST "$base/api/v1/keys" -H 'Content-Type: application/json' -d '{"name":"load","role":"reader"}' | sed -E 's/.*"key":"([^"]+)".*/\1/')
echo "decision: $(curl -fsS -H "Authorization: Bearer $reader" "$base/api/v1/decisions/$id" | head -c 200)…"
echo
echo "== wrk -t$threads -c$connections -d$duration GET /api/v1/decisions/$id (reader key) =="
curl -fsS -H "Authorization: Bearer $reader" "$base/api/v1/decisions/$id" >/dev/null # warm
wrk -t"$threads" -c"$connections" -d10s -H "Authorization: Bearer $reader" "$base/api/v1/decisions/$id" >/dev/null # JIT warm-up
wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $reader" "$base/api/v1/decisions/$id"
