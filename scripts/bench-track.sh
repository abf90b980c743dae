#!/usr/bin/env bash
# End-to-end benchmark of a track job: wall time from submit to downloaded outputs, and the peak
# resident memory (VmHWM) of every service process over the job. Restarts the services first so
# the peaks belong to this job. Prints a markdown table.
#
#   scripts/bench-track.sh [clip]     default: ../shared/assets/media/new_face_video-90.mp4
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
CLIP="${1:-$REPO/../shared/assets/media/new_face_video-90.mp4}"

"$REPO/scripts/setup.sh" >/dev/null
"$REPO/scripts/infra.sh" start 2>/dev/null
eval "$("$REPO/scripts/infra.sh" env)"
"$REPO/scripts/services.sh" stop 2>/dev/null || true
"$REPO/scripts/services.sh" start 2>/dev/null

KEY_FILE="$FACEPIPE_DATA/demo-api-key"
[ -s "$KEY_FILE" ] || "$REPO/facepipe" tenant create "demo studio" > "$KEY_FILE"
export FACEPIPE_API_KEY="$(cat "$KEY_FILE")"
OUT="$(mktemp -d)"
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of default=nw=1:nk=1 "$CLIP" | head -n 1)

start=$(date +%s.%N)
"$REPO/facepipe" submit "$CLIP" --kind track --wait --out "$OUT" > "$OUT/progress.log"
end=$(date +%s.%N)
wall=$(echo "$end - $start" | bc -l)

# Floor in the same run: ffmpeg decoding the clip to raw RGB24 into /dev/null.
fstart=$(date +%s.%N)
ffmpeg -v error -i "$CLIP" -f rawvideo -pix_fmt rgb24 -y /dev/null
fend=$(date +%s.%N)
floor=$(echo "$fend - $fstart" | bc -l)

echo "Command: scripts/bench-track.sh $(basename "$CLIP")  ($(nproc) cores, $(date -u +%Y-%m-%d))"
echo
echo "| figure | value |"
echo "|---|---|"
printf '| frames | %d |\n' "$frames"
printf '| end-to-end wall time (submit → outputs downloaded) | %.1f s |\n' "$wall"
printf '| throughput | %.1f frames/s |\n' "$(echo "$frames / $wall" | bc -l)"
printf '| floor: ffmpeg decode to raw RGB24, same run | %.2f s |\n' "$floor"
printf '| wall time / decode floor | %.1fx |\n' "$(echo "$wall / $floor" | bc -l)"
for name in Ingest FrameExtraction Reconstruction Rendering; do
  pid=$(cat "$FACEPIPE_DATA/run/$name.pid")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  printf '| peak memory (VmHWM) %s | %d MiB |\n' "$name" "$((hwm / 1024))"
done
echo
echo "Stage times (from the job status):"
job=$(grep -oE 'job [0-9a-f-]{36} submitted' "$OUT/progress.log" | head -n 1 | awk '{print $2}')
"$REPO/facepipe" status "$job" | head -n 1
rm -rf "$OUT"
