#!/usr/bin/env bash
# README command 2: every test of every project, against real PostgreSQL and RabbitMQ started on
# loopback by scripts/infra.sh. Ends with one line: "N passed, N failed".
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

"$REPO/scripts/setup.sh" || exit 1
"$REPO/scripts/infra.sh" start || exit 1
eval "$("$REPO/scripts/infra.sh" env)"

LOG="$FACEPIPE_DATA/test-output.log"
mkdir -p "$FACEPIPE_DATA"
dotnet test FacePipeline.sln -c Release --no-build -nologo 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}

# Totals over all test projects, from each project's summary line.
passed=$(grep -oE 'Passed: +[0-9]+' "$LOG" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$LOG" | awk '{s+=$2} END {print s+0}')
projects=$(grep -cE '^(Passed|Failed)! ' "$LOG")
expected=$(find tests -name '*.Tests.csproj' | wc -l)
if [ "$projects" -lt "$expected" ]; then
  echo "test.sh: only $projects of $expected test projects reported a summary" >&2
  failed=$((failed + expected - projects))
  status=1
fi
echo "$passed passed, $failed failed"
exit $status
