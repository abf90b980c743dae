#!/usr/bin/env bash
# README command 1: on a fresh Debian machine (as root), install and start what FacePipeline needs
# (ffmpeg, PostgreSQL and RabbitMQ on loopback, the models, the services), run a real track job,
# then a real retarget job (the source performer's expressions onto the target actor's footage).
#
#   scripts/run-track.sh [clip [target]]
#     clip:   the track job's clip and the retarget's source (default ../shared/assets/media/obama_wh_closeup.mp4)
#     target: the retarget's target actor (default ../shared/assets/media/grid_lbbc2a.mp4)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
CLIP="${1:-$REPO/../shared/assets/media/obama_wh_closeup.mp4}"
TARGET="${2:-$REPO/../shared/assets/media/grid_lbbc2a.mp4}"
for f in "$CLIP" "$TARGET"; do [ -f "$f" ] || { echo "run-track: no such clip: $f" >&2; exit 1; }; done

"$REPO/scripts/setup.sh"
"$REPO/scripts/infra.sh" start
eval "$("$REPO/scripts/infra.sh" env)"
"$REPO/scripts/services.sh" start

KEY_FILE="$FACEPIPE_DATA/demo-api-key"
if [ ! -s "$KEY_FILE" ]; then
  "$REPO/facepipe" tenant create "demo studio" > "$KEY_FILE"
fi
export FACEPIPE_API_KEY="$(cat "$KEY_FILE")"
STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$FACEPIPE_DATA/outputs/$(basename "${CLIP%.*}")-$STAMP"
echo "== track job: $(basename "$CLIP")"
"$REPO/facepipe" submit "$CLIP" --kind track --wait --out "$OUT"
RETARGET_OUT="$FACEPIPE_DATA/outputs/$(basename "${CLIP%.*}")-onto-$(basename "${TARGET%.*}")-$STAMP"
echo
echo "== retarget job: $(basename "$CLIP") (source) onto $(basename "$TARGET") (target)"
"$REPO/facepipe" retarget "$CLIP" "$TARGET" --out "$RETARGET_OUT"
echo
echo "QC clip:        $OUT/qc.mp4"
echo "Tracking data:  $OUT/tracking.json"
[ -f "$OUT/blendshapes.csv" ] && echo "Blendshapes:    $OUT/blendshapes.csv   (ARKit curves, Live Link Face CSV; .json beside it)"
echo "Retarget:       $RETARGET_OUT/result.mp4"
echo "Review clip:    $RETARGET_OUT/review.mp4   (source | target | result)"
echo "Transfer data:  $RETARGET_OUT/transfer.json"
[ -f "$RETARGET_OUT/qc.json" ] && echo "QC:             $RETARGET_OUT/qc.json   ($(grep -m1 -o '"verdict": *"[a-z]*"' "$RETARGET_OUT/qc.json"): the result tracked again against the performer and the actor)"
[ -f "$RETARGET_OUT/blendshapes.csv" ] && echo "Blendshapes:    $RETARGET_OUT/blendshapes.csv   (the transferred expression)"
echo
echo "Studio app:     http://127.0.0.1:8080/app   (sign in with the demo studio's API key: $FACEPIPE_API_KEY)"
echo "(services keep running; stop them with scripts/services.sh stop && scripts/infra.sh stop)"
