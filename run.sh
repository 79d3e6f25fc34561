#!/usr/bin/env bash
# Starts the Experiments service on embedded defaults and runs a demo workload against it:
# an A/B analysis with CUPED and a power plan, posted as a notebook would. The service keeps
# running until Ctrl-C. Address: URLS (default http://127.0.0.1:5080).
set -euo pipefail
cd "$(dirname "$0")"
urls="${URLS:-http://127.0.0.1:5080}"
base="${urls%%;*}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Experiments.Api -c Release -nologo -v quiet
dotnet run --project Experiments.Api -c Release --no-build -- --urls "$urls" &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 60); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$base/health" >/dev/null || { echo "The service did not start."; exit 1; }

echo
echo "== Demo: A/B test with CUPED (demo/ab-example.json) =="
curl -sS -X POST "$base/api/v1/stats/ab" -H 'Content-Type: application/json' --data @demo/ab-example.json
echo
echo
echo "== Demo: power plan (demo/power-example.json) =="
curl -sS -X POST "$base/api/v1/stats/power" -H 'Content-Type: application/json' --data @demo/power-example.json
echo
echo
echo "Service on $base — OpenAPI at $base/openapi/v1.json. Ctrl-C stops it."
wait "$service"
