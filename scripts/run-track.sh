#!/usr/bin/env bash
# README command 1: on a fresh Debian machine (as root), install and start what FacePipeline needs
# (ffmpeg, PostgreSQL and RabbitMQ on loopback, the models, the services) and run a real track job.
#
#   scripts/run-track.sh [clip]     default: ../shared/assets/media/obama_wh_closeup.mp4
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
CLIP="${1:-$REPO/../shared/assets/media/obama_wh_closeup.mp4}"
[ -f "$CLIP" ] || { echo "run-track: no such clip: $CLIP" >&2; exit 1; }

"$REPO/scripts/setup.sh"
"$REPO/scripts/infra.sh" start
eval "$("$REPO/scripts/infra.sh" env)"
"$REPO/scripts/services.sh" start

KEY_FILE="$FACEPIPE_DATA/demo-api-key"
if [ ! -s "$KEY_FILE" ]; then
  "$REPO/facepipe" tenant create "demo studio" > "$KEY_FILE"
fi
export FACEPIPE_API_KEY="$(cat "$KEY_FILE")"
OUT="$FACEPIPE_DATA/outputs/$(basename "${CLIP%.*}")-$(date +%Y%m%d-%H%M%S)"
"$REPO/facepipe" submit "$CLIP" --kind track --wait --out "$OUT"
echo
echo "QC clip:       $OUT/qc.mp4"
echo "Tracking data: $OUT/tracking.json"
echo "(services keep running; stop them with scripts/services.sh stop && scripts/infra.sh stop)"
