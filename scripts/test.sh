#!/usr/bin/env bash
# README command 2: every test of every project, against real PostgreSQL and RabbitMQ started on
# loopback by scripts/infra.sh. Ends with one line: "N passed, N failed".
#
# scripts/test.sh --fast: only the tests marked [Trait("Lane", "Fast")] (no PostgreSQL, RabbitMQ, models, footage,
# ffmpeg, network or service process), on the existing Release build (dotnet build FacePipeline.sln -c Release), with
# no set-up and no servers. Ends with the same line, after "fast lane: N tests in S s" (the test run's own time).
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# xUnit reports a failed class or collection clean-up (a fixture's DisposeAsync threw) outside any test's count, and
# dotnet test then exits non-zero with every test passed: each such clean-up counts as one failure here.
cleanup_failures() {
  local lines
  lines=$(grep -E '\[Test (Class|Collection|Assembly) Cleanup Failure' "$1" || true)
  [ -z "$lines" ] || sed 's/^ */test.sh: clean-up failed: /' <<<"$lines" >&2
  grep -c . <<<"$lines" || true
}

if [ "${1:-}" = "--fast" ]; then
  expected=$(find tests -name '*.Tests.csproj' | wc -l)
  for csproj in $(find tests -name '*.Tests.csproj'); do
    name=$(basename "$csproj" .csproj)
    if [ ! -f "$(dirname "$csproj")/bin/Release/net10.0/$name.dll" ]; then
      echo "test.sh --fast: $name is not built; run dotnet build FacePipeline.sln -c Release first" >&2
      exit 1
    fi
  done

  DATA="${FACEPIPE_DATA:-$REPO/.data}"
  LOG="$DATA/test-output-fast.log"
  mkdir -p "$DATA"
  start=$(date +%s.%N)
  dotnet test FacePipeline.sln -c Release --no-build -nologo --filter "Lane=Fast" 2>&1 | tee "$LOG"
  status=${PIPESTATUS[0]}
  end=$(date +%s.%N)

  passed=$(grep -oE 'Passed: +[0-9]+' "$LOG" | awk '{s+=$2} END {print s+0}')
  failed=$(grep -oE 'Failed: +[0-9]+' "$LOG" | awk '{s+=$2} END {print s+0}')
  cleanups=$(cleanup_failures "$LOG")
  if [ "$cleanups" -gt 0 ]; then failed=$((failed + cleanups)); status=1; fi
  # A project without any fast test reports "No test matches the given testcase filter" instead of a summary.
  projects=$(grep -cE '^(Passed|Failed)! ' "$LOG")
  empty=$(grep -c 'No test matches the given testcase filter' "$LOG")
  if [ $((projects + empty)) -lt "$expected" ]; then
    echo "test.sh --fast: only $((projects + empty)) of $expected test projects reported" >&2
    failed=$((failed + expected - projects - empty))
    status=1
  fi
  echo "fast lane: $((passed + failed)) tests in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s"
  echo "$passed passed, $failed failed"
  exit $status
fi

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
cleanups=$(cleanup_failures "$LOG")
if [ "$cleanups" -gt 0 ]; then failed=$((failed + cleanups)); status=1; fi
projects=$(grep -cE '^(Passed|Failed)! ' "$LOG")
expected=$(find tests -name '*.Tests.csproj' | wc -l)
if [ "$projects" -lt "$expected" ]; then
  echo "test.sh: only $projects of $expected test projects reported a summary" >&2
  failed=$((failed + expected - projects))
  status=1
fi
echo "$passed passed, $failed failed"
exit $status
