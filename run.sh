#!/usr/bin/env bash
# Starts the Experiments service with a demo workload, on embedded defaults:
#  1. a private ClickHouse server on loopback (Debian's clickhouse-server, installed when missing) holding
#     generated impression logs: 40,000 users over 42 days with an A/B holdout test of a retargeting campaign
#     (+5% conversions), an A/A test and a geo campaign (+18% in 5 markets), both campaigns with spend;
#     loaded once (about a minute), kept in .data/;
#  2. the API on http://127.0.0.1:5080 (URLS to change it), hosting an in-process Hangfire server (jobs dashboard
#     at /jobs), with its results store and job storage in SQLite files under .data/;
#  3. the demo experiments registered and analysed as jobs, and their published results printed, next to
#     the effects the generator put in (lift, incremental conversions and revenue, spend, cost per incremental
#     conversion, iROAS), plus the stateless notebook endpoints' examples from demo/.
# The service keeps running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")"
urls="${URLS:-http://127.0.0.1:5080}"
base="${urls%%;*}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Experiments.Api -c Release -nologo -v quiet
dotnet build Experiments.Jobs -c Release -nologo -v quiet

clickhouse=$(scripts/clickhouse.sh start)
echo "ClickHouse: $clickhouse"
service=""
cleanup() {
  [ -n "$service" ] && kill "$service" 2>/dev/null || true
  scripts/clickhouse.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

if [ -f .data/demo/truth.json ] && ! grep -q '"abHoldout"' .data/demo/truth.json; then
  echo "The demo logs predate the holdout campaigns' spend; generating them again."
  curl -fsS "$clickhouse" --data-binary "DROP DATABASE IF EXISTS demo" >/dev/null
  rm -f .data/demo/*.json
fi
loaded=$(curl -fsS "${clickhouse}?query=SELECT%20count()%20FROM%20demo.impressions" 2>/dev/null || echo 0)
if [ ! -f .data/demo/truth.json ] || [ "${loaded:-0}" -eq 0 ]; then
  echo "Generating the demo logs (about a minute)…"
  dotnet run --project Experiments.Jobs -c Release --no-build -- generate-demo --clickhouse "$clickhouse" --database demo --out .data/demo
fi

# The admin key: made once (256 random bits) into .data/admin-key, readable by its owner only, and given
# to the service as Auth:BootstrapAdminKey; every call below sends it.
if [ ! -s .data/admin-key ]; then
  mkdir -p .data
  (umask 077; printf 'exp_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" > .data/admin-key)
fi
chmod 600 .data/admin-key
admin_key=$(cat .data/admin-key)
auth=(-H "Authorization: Bearer $admin_key")

ClickHouse__Endpoint="$clickhouse" ClickHouse__Database=demo ResultsStore__ConnectionString="Data Source=$PWD/.data/experiments.db" \
Auth__BootstrapAdminKey="$admin_key" \
  dotnet run --project Experiments.Api -c Release --no-build -- --urls "$urls" &
service=$!
for _ in $(seq 1 120); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$base/health" >/dev/null || { echo "The service did not start."; exit 1; }

echo
echo "== The effects the generator put in =="
cat .data/demo/truth.json
echo
for definition in .data/demo/*.json; do
  id=$(basename "$definition" .json)
  [ "$id" = truth ] && continue
  curl -fsS "${auth[@]}" -X PUT "$base/api/v1/experiments/$id" -H 'Content-Type: application/json' --data @"$definition" >/dev/null
  run=$(curl -fsS "${auth[@]}" -X POST "$base/api/v1/experiments/$id/analyses" -H 'Content-Type: application/json' -d '{}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
  echo "== $id: analysis run $run =="
  status=queued
  for _ in $(seq 1 240); do
    status=$(curl -fsS "${auth[@]}" "$base/api/v1/runs/$run" | sed -E 's/.*"status":"([^"]+)".*/\1/')
    case "$status" in succeeded|failed|deferred) break ;; esac
    sleep 0.5
  done
  run_json=$(curl -fsS "${auth[@]}" "$base/api/v1/runs/$run")
  echo "run $status; rows read $(grep -o '"rowsRead":[0-9]*' <<<"$run_json" | cut -d: -f2); reason: $(grep -o '"reason":[^,]*' <<<"$run_json" | cut -d: -f2-)"
  echo "-- published results (GET $base/api/v1/experiments/$id/results) --"
  results=$(curl -fsS "${auth[@]}" "$base/api/v1/experiments/$id/results")
  # One line per fact worth reading: the metric, its finality, and the lift with its interval.
  grep -oE '"metric":"[^"]*"|"finality":"[^"]*"|"relative":\{[^}]*\}|"liftPercent":\{[^}]*\}|"varianceReduction":[-0-9.eE]*|"mismatch":(true|false)' <<<"$results" || true
  echo
done

echo "== Holdout campaigns: the published incrementality next to what the generator put in =="
dotnet run --project Experiments.Jobs -c Release --no-build -- demo-summary --api "$base/" --truth .data/demo/truth.json --key-file .data/admin-key
echo

echo "== Notebook endpoints: A/B test with CUPED from sums (demo/ab-example.json) =="
curl -sS "${auth[@]}" -X POST "$base/api/v1/stats/ab" -H 'Content-Type: application/json' --data @demo/ab-example.json
echo
echo
echo "== Notebook endpoints: power plan (demo/power-example.json) =="
curl -sS "${auth[@]}" -X POST "$base/api/v1/stats/power" -H 'Content-Type: application/json' --data @demo/power-example.json
echo
echo
echo "Service on $base — OpenAPI at $base/openapi/v1.json, experiments at $base/api/v1/experiments, jobs at $base/jobs."
echo "Every call needs a key: the admin key is in $PWD/.data/admin-key (send 'Authorization: Bearer <key>'; create others with POST /api/v1/keys)."
echo "Dashboards: open $base/dashboards in a browser and sign in with a key (reader role or above), e.g. the admin key above."
echo "Ctrl-C stops it."
wait "$service"
