#!/usr/bin/env bash
# Runs every test of the solution and ends with one line: "N passed, N failed".
# Exits non-zero when anything fails (or nothing could be built).
set -uo pipefail
cd "$(dirname "$0")"

results=.test-results
rm -rf "$results"
mkdir -p "$results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet build Experiments.sln -c Release > "$results/build.log" 2>&1
build_rc=$?
grep -E "error|Warn|Elapsed" "$results/build.log" | sort -u
if [ "$build_rc" -ne 0 ]; then
  echo "The build failed; see $results/build.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# Commands run when the script exits, however it exits.
exit_commands=()
on_exit() { exit_commands+=("$1"); }
trap 'for c in "${exit_commands[@]}"; do eval "$c"; done' EXIT

# The data-plane tests need a real ClickHouse: use CLICKHOUSE_URL when given, otherwise start a
# private server (own port and data folder, so a development server keeps running) and stop it on exit.
if [ -z "${CLICKHOUSE_URL:-}" ]; then
  export CLICKHOUSE_DATA_DIR=.data/clickhouse-test-run CLICKHOUSE_HTTP_PORT=18125 CLICKHOUSE_TCP_PORT=19126 CLICKHOUSE_INTERSERVER_PORT=19127
  on_exit 'scripts/clickhouse.sh stop >/dev/null 2>&1 || true'
  if CLICKHOUSE_URL=$(scripts/clickhouse.sh start 2>"$results/clickhouse.log"); then
    export CLICKHOUSE_URL
    echo "ClickHouse: $CLICKHOUSE_URL"
  else
    unset CLICKHOUSE_URL
    echo "ClickHouse did not start; see $results/clickhouse.log"
  fi
fi

# A private PostgreSQL for the results-store tests (SQLite needs nothing); the tests read
# EXPERIMENTS_POSTGRES. If it cannot start, those tests fail and say why.
if postgres=$(scripts/postgres.sh start 2>"$results/postgres.log"); then
  export EXPERIMENTS_POSTGRES="$postgres"
  on_exit 'scripts/postgres.sh stop >/dev/null 2>&1 || true'
else
  echo "PostgreSQL did not start; see $results/postgres.log"
fi

# The example notebook's test runs it with Debian's jupyter-nbconvert; install it (and pandas, requests) when missing.
if ! scripts/notebook-deps.sh 2>"$results/notebook-deps.log"; then
  echo "The notebook's packages could not be installed; see $results/notebook-deps.log"
fi

# The dashboards' browser test drives Debian's chromium through Playwright; install it when missing.
if ! scripts/browser-deps.sh 2>"$results/browser-deps.log"; then
  echo "chromium could not be installed; see $results/browser-deps.log"
fi
export EXPERIMENTS_SCREENSHOTS="$PWD/$results/screenshots"

# One project at a time, each writing its own TRX report (named after the project).
test_rc=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$results" 2>&1 | tee -a "$results/test.log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || test_rc=$rc
done

# Count from the TRX reports: one per test project, each with a <Counters .../> element.
passed=0
failed=0
reports=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  reports=$((reports + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
  e=$(sed -E 's/.* error="([0-9]+)".*/\1/' <<<"$counters")
  passed=$((passed + p))
  failed=$((failed + f + e))
done
expected_reports=$(find tests -name '*.Tests.csproj' | wc -l)
if [ "$reports" -lt "$expected_reports" ]; then
  echo "Only $reports of $expected_reports test projects reported results."
  failed=$((failed + expected_reports - reports))
fi
if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $test_rc."
  failed=1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
