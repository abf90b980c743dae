#!/usr/bin/env bash
# Dead letters of the local stack (docs/operations.md): messages whose consumer failed on every retry.
#   scripts/dead-letters.sh                 count them, per service queue
#   scripts/dead-letters.sh replay <queue>  put one queue's back on it, once their cause is fixed
#   scripts/dead-letters.sh replay --all    every queue's
# Against another broker, set RabbitMq__Host, __Port, __VirtualHost, __Username, __Password first.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${RabbitMq__Host:-}" ]; then
  eval "$("$REPO/scripts/infra.sh" env)"
fi
TOOL="$REPO/tools/FacePipeline.Ops/bin/Release/net10.0/facepipe-ops.dll"
if [ ! -f "$TOOL" ]; then
  dotnet build "$REPO/tools/FacePipeline.Ops" -c Release -v q -nologo >&2
fi
if [ "$#" -eq 0 ]; then set -- list; fi
exec dotnet "$TOOL" dead-letters "$@"
