#!/usr/bin/env bash
# Starts or stops every FacePipeline service on this machine, each as its own process, against the
# servers of scripts/infra.sh. Built by scripts/setup.sh.
# Logs: .data/logs/<service>.log, written by the service itself and rotated by size (10 MiB, five older files
# <service>.1.log … <service>.5.log kept; docs/logging.md). What the process prints outside its logging (a crash
# of the runtime) goes to .data/logs/<service>.out, started afresh with each start.
#
#   scripts/services.sh start | stop | status
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
eval "$("$REPO/scripts/infra.sh" env)"
RUN="$FACEPIPE_DATA/run"
# The studio app (/app on Ingest) serves tus-js-client from the copy scripts/setup.sh installs.
export StudioApp__TusClientFolder="${FACEPIPE_TUS_CLIENT:-$REPO/.data/tus-client}/node_modules/tus-js-client/dist"
LOGS="$FACEPIPE_DATA/logs"
# service name and its HTTP port (API for Ingest, health endpoints for the workers)
SERVICES=("Ingest:8080" "FrameExtraction:8081" "Reconstruction:8082" "ExpressionTransfer:8084" "Rendering:8083" "Training:8085")

dll() { echo "$REPO/services/$1/bin/Release/net10.0/FacePipeline.$1.dll"; }

start() {
  mkdir -p "$RUN" "$LOGS" "$Media__Root"
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}"
    if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
      echo "[services] $name already running" >&2
      continue
    fi
    [ -f "$(dll "$name")" ] || { echo "[services] $name is not built: run scripts/setup.sh" >&2; exit 1; }
    # The log file rotates; the console logger is off (it would write every line a second time, unrotated).
    # MALLOC_ARENA_MAX: two glibc malloc arenas, as the images set (docs/deploy.md, "Configuration").
    MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" Logging__File__Path="$LOGS/$name.log" Logging__Console__LogLevel__Default=None \
      ASPNETCORE_URLS="http://127.0.0.1:$port" nohup dotnet "$(dll "$name")" >"$LOGS/$name.out" 2>&1 &
    echo $! > "$RUN/$name.pid"
  done
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}" ok=""
    for _ in $(seq 1 240); do
      if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then ok=1; break; fi
      kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || break
      sleep 0.25
    done
    if [ -z "$ok" ]; then
      echo "[services] $name did not become ready; last log lines:" >&2
      tail -n 20 "$LOGS/$name.log" >&2 || true
      [ -s "$LOGS/$name.out" ] && tail -n 20 "$LOGS/$name.out" >&2
      exit 1
    fi
    echo "[services] $name ready on 127.0.0.1:$port" >&2
  done
}

stop() {
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}"
    if [ -f "$RUN/$name.pid" ]; then
      local pid; pid="$(cat "$RUN/$name.pid")"
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        echo "[services] $name stopped" >&2
      fi
      rm -f "$RUN/$name.pid"
    fi
  done
}

status() {
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}"
    if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then echo "$name: running"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
