#!/usr/bin/env bash
# Speed and quality figures of the media and face stages, printed as markdown (paste into
# docs/benchmarks.md): frame extraction against plain ffmpeg decoding to raw RGB24 (goal: ≥ 0.9x its
# throughput); BlazeFace Detect against the bare inference on the same tensor (goal: ≤ 1.3x);
# per-frame tracking (FaceTracker) against the bare landmark inference on the same crops (goal:
# ≤ 1.3x), fps and the per-clip sequence step; landmark jitter before/after the One Euro filter on
# noisy stills and GRID clips (goal: ≤ 1% of the inter-ocular distance, RMS). Targets are checked
# here, by figures a person reads, never by timed tests. Progress goes to stderr.
#
#   scripts/bench.sh [extra arguments for "facepipe-bench all", e.g. --runs 9 --frames 1000 --passes 9]
#   scripts/bench.sh retarget      # retargeting: transfer and warp ms/frame against x264, cycle error, jitter
#   scripts/bench.sh <subcommand> [arguments]   (extraction, detection, reconstruction, jitter, retarget)
#
# Settings (environment): FACEPIPE_MODELS (default <repo>/.data/models). Footage: ../shared/assets/media.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

MODELS="${FACEPIPE_MODELS:-$REPO/.data/models}"
if [[ ! -s "$MODELS/blazeface/face_detection_short_range.onnx" \
   || ! -s "$MODELS/mediapipe-face-mesh/face_landmark.onnx" \
   || ! -s "$MODELS/mediapipe-face-mesh/face_detection_short_range.onnx" \
   || ! -s "$MODELS/mediapipe-face-mesh/geometry_pipeline_metadata_landmarks.binarypb" ]]; then
  "$REPO/scripts/fetch-models.sh" >/dev/null
fi

dotnet build tools/FacePipeline.Benchmarks -c Release -nologo -v quiet >&2
if [[ $# -gt 0 && "$1" != -* ]]; then
  dotnet tools/FacePipeline.Benchmarks/bin/Release/net10.0/facepipe-bench.dll "$@"
else
  dotnet tools/FacePipeline.Benchmarks/bin/Release/net10.0/facepipe-bench.dll all "$@"
fi
