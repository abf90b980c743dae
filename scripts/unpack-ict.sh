#!/usr/bin/env bash
# Unpacks the ICT-FaceKit morphable face model (MIT, USC ICT) from ../shared into the models
# folder. Idempotent: an already unpacked model is left alone. Prints the model folder.
#
#   scripts/unpack-ict.sh
#
# Settings (environment): FACEPIPE_SHARED (default <repo>/../shared),
#   FACEPIPE_MODELS (default <repo>/.data/models).
#
# Input:  $FACEPIPE_SHARED/assets/ict-facekit/FaceXModel.tar.zst (the release's FaceXModel/ folder)
# Output: $FACEPIPE_MODELS/ict-facekit/FaceXModel/ (OBJ files, vertex_indices.json); the binary
#   cache FacePipeline.Morphable writes on first load goes to $FACEPIPE_MODELS/ict-facekit/cache/.
# Needs: tar with zstd (Debian package `zstd`). Nothing of the model is ever committed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${FACEPIPE_SHARED:-$REPO/../shared}"
MODELS="${FACEPIPE_MODELS:-$REPO/.data/models}"
ARCHIVE="$SHARED/assets/ict-facekit/FaceXModel.tar.zst"
DEST="$MODELS/ict-facekit"
MODEL="$DEST/FaceXModel"
MARKER="$MODEL/.unpacked"

log() { printf '[unpack-ict] %s\n' "$*" >&2; }

if [[ -f "$MARKER" && -s "$MODEL/generic_neutral_mesh.obj" && -s "$MODEL/vertex_indices.json" ]]; then
  log "present: $MODEL"
  printf '%s\n' "$MODEL"
  exit 0
fi

[[ -f "$ARCHIVE" ]] || { log "missing $ARCHIVE (../shared assets not beside the repository?)"; exit 1; }
command -v zstd >/dev/null || { log "zstd is required (apt-get install zstd)"; exit 1; }

mkdir -p "$DEST"
tmp="$(mktemp -d "$DEST/.unpack.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "unpacking $ARCHIVE"
tar --zstd -xf "$ARCHIVE" -C "$tmp"
[[ -s "$tmp/FaceXModel/generic_neutral_mesh.obj" ]] || { log "unexpected archive layout (no FaceXModel/generic_neutral_mesh.obj)"; exit 1; }
rm -rf "$MODEL" "$DEST/cache"
mv "$tmp/FaceXModel" "$MODEL"
touch "$MARKER"
log "unpacked: $MODEL ($(find "$MODEL" -name '*.obj' | wc -l) OBJ files)"
printf '%s\n' "$MODEL"
