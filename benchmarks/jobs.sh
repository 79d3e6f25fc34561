#!/usr/bin/env bash
# The jobs benchmark (benchmarks/README.md, "Jobs (Hangfire)"): builds benchmarks/Experiments.JobsBenchmark
# in Release, starts a private PostgreSQL (its own data folder and port, stopped on exit) and runs the
# benchmark on both job storages. Progress goes to standard error; the Markdown table to standard output.
# Extra arguments go to the benchmark (e.g. --latency-runs 20 --throughput-runs 200 --recoveries 1).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# An absolute folder: the server runs from another working folder and puts its socket there.
export POSTGRES_DATA_DIR="$PWD/.data/pg-jobs-bench" POSTGRES_PORT=15577

project=benchmarks/Experiments.JobsBenchmark
dotnet build "$project" -c Release -v quiet -nologo >&2

trap 'scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
postgres=$(scripts/postgres.sh start)
echo "PostgreSQL: $postgres" >&2

dotnet "$project/bin/Release/net10.0/Experiments.JobsBenchmark.dll" --postgres "$postgres" "$@"
