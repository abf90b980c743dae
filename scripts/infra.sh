#!/usr/bin/env bash
# Local infrastructure for FacePipeline: a private PostgreSQL cluster and RabbitMQ node on
# 127.0.0.1, under the project's data folder. Idempotent; no Docker needed.
#
#   scripts/infra.sh install   apt-get what is missing (ffmpeg, postgresql, rabbitmq-server, npm, and the
#                              deployment checks' docker-compose, python3-yaml, kubernetes-client)
#   scripts/infra.sh start     start both servers (no-op for one already running)
#   scripts/infra.sh stop      stop both by their process ids
#   scripts/infra.sh status    say what runs
#   scripts/infra.sh env       print the environment variables the services and tests read
#
# Settings (environment): FACEPIPE_DATA (default <repo>/.data), FACEPIPE_PG_PORT (55432),
# FACEPIPE_AMQP_PORT (55672).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${FACEPIPE_DATA:-$REPO/.data}"
PG_PORT="${FACEPIPE_PG_PORT:-55432}"
AMQP_PORT="${FACEPIPE_AMQP_PORT:-55672}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
PG_DIR="$DATA/postgres"
PG_RUN="$DATA/postgres-run"
RMQ_DIR="$DATA/rabbitmq"
RMQ_PID="$RMQ_DIR/rabbitmq.pid"
RMQ_NODE="facepipe@localhost"
# The server runs as root with HOME=/root; use the ctl beside it (Debian's /usr/sbin wrapper switches to the
# rabbitmq user and so reads another Erlang cookie).
RMQCTL=/usr/lib/rabbitmq/bin/rabbitmqctl

log() { printf '[infra] %s\n' "$*" >&2; }

rmq_env() {
  export RABBITMQ_NODENAME="$RMQ_NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$AMQP_PORT"
  export RABBITMQ_DIST_PORT=$((AMQP_PORT + 1))
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
  export RABBITMQ_LOG_BASE="$RMQ_DIR/log"
  export RABBITMQ_PID_FILE="$RMQ_PID"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
  export HOME="${HOME:-/root}"
}

cmd_install() {
  local missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  [ -n "$PG_BIN" ] || missing+=(postgresql)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  command -v npm >/dev/null || missing+=(npm)
  command -v curl >/dev/null || missing+=(curl)
  command -v bc >/dev/null || missing+=(bc)
  command -v zstd >/dev/null || missing+=(zstd)
  # Deployment checks (tests/FacePipeline.Deploy.Tests): compose validation, YAML, kustomize rendering.
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  /usr/bin/python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
  command -v kubectl >/dev/null || missing+=(kubernetes-client)
  # The studio app's browser tests (tests/FacePipeline.EndToEnd.Tests/StudioAppTests.cs) drive Debian's Chromium with Playwright.
  command -v chromium >/dev/null || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  # Debian starts neither server on install in a container; make sure no stray system one holds our ports.
  log "dependencies present"
}

pg_running() { [ -f "$PG_DIR/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; }

start_postgres() {
  mkdir -p "$DATA"
  chmod 755 "$DATA"
  mkdir -p "$PG_RUN"
  chown postgres:postgres "$PG_RUN"
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PG_DIR"
    mkdir -p "$PG_DIR"
    chown postgres:postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
    cat >> "$PG_DIR/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 300
fsync = on
EOF
  fi
  if pg_running; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null
    log "PostgreSQL started on 127.0.0.1:$PG_PORT"
  fi
  # The application role: may create databases (each test suite makes its own).
  runuser -u postgres -- "$PG_BIN/psql" -h "$PG_RUN" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q -c "
    DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'facepipe') THEN
        CREATE ROLE facepipe LOGIN CREATEDB PASSWORD 'facepipe';
      END IF;
    END \$\$;" >/dev/null
  if ! runuser -u postgres -- "$PG_BIN/psql" -h "$PG_RUN" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='facepipe'" | grep -q 1; then
    runuser -u postgres -- "$PG_BIN/createdb" -h "$PG_RUN" -p "$PG_PORT" -U postgres -O facepipe facepipe
  fi
}

rmq_running() { rmq_env; [ -f "$RMQ_PID" ] && kill -0 "$(cat "$RMQ_PID")" 2>/dev/null && "$RMQCTL" -n "$RMQ_NODE" -q status >/dev/null 2>&1; }

start_rabbitmq() {
  rmq_env
  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  [ -f "$RMQ_DIR/enabled_plugins" ] || echo "[]." > "$RMQ_DIR/enabled_plugins"
  [ -f "$RMQ_DIR/rabbitmq.conf" ] || cat > "$RMQ_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
loopback_users = none
EOF
  # A training run holds its message unacknowledged for as long as it trains: allow a day (the default is 30 min).
  grep -q '^consumer_timeout' "$RMQ_DIR/rabbitmq.conf" || echo "consumer_timeout = 86400000" >> "$RMQ_DIR/rabbitmq.conf"
  [ -f "$RMQ_DIR/advanced.config" ] || echo "[]." > "$RMQ_DIR/advanced.config"
  if rmq_running; then
    log "RabbitMQ already running on 127.0.0.1:$AMQP_PORT"
  else
    rm -f "$RMQ_PID"
    /usr/lib/rabbitmq/bin/rabbitmq-server -detached
    # The pid file appears once the VM is up; then wait for the app itself.
    for _ in $(seq 1 100); do [ -s "$RMQ_PID" ] && break; sleep 0.2; done
    "$RMQCTL" -n "$RMQ_NODE" -q wait --timeout 60 "$RMQ_PID" >/dev/null
    "$RMQCTL" -n "$RMQ_NODE" -q await_startup >/dev/null
    log "RabbitMQ started on 127.0.0.1:$AMQP_PORT"
  fi
  if ! "$RMQCTL" -n "$RMQ_NODE" -q list_users | grep -q '^facepipe'; then
    "$RMQCTL" -n "$RMQ_NODE" -q add_user facepipe facepipe >/dev/null
    "$RMQCTL" -n "$RMQ_NODE" -q set_user_tags facepipe administrator >/dev/null
    "$RMQCTL" -n "$RMQ_NODE" -q set_permissions -p / facepipe '.*' '.*' '.*' >/dev/null
  fi
}

cmd_start() {
  cmd_install
  start_postgres
  start_rabbitmq
}

cmd_stop() {
  if [ -n "$PG_BIN" ] && pg_running; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  fi
  rmq_env
  if [ -f "$RMQ_PID" ] && kill -0 "$(cat "$RMQ_PID")" 2>/dev/null; then
    local pid; pid="$(cat "$RMQ_PID")"
    "$RMQCTL" -n "$RMQ_NODE" -q stop "$RMQ_PID" >/dev/null 2>&1 || kill "$pid"
    log "RabbitMQ stopped"
  fi
}

cmd_status() {
  if [ -n "$PG_BIN" ] && pg_running; then echo "postgres: running (127.0.0.1:$PG_PORT)"; else echo "postgres: stopped"; fi
  if rmq_running; then echo "rabbitmq: running (127.0.0.1:$AMQP_PORT)"; else echo "rabbitmq: stopped"; fi
}

# Creates a RabbitMQ virtual host for an isolated test run (used by the end-to-end tests).
cmd_vhost() {
  rmq_env
  local vhost="$1"
  "$RMQCTL" -n "$RMQ_NODE" -q add_vhost "$vhost" >/dev/null 2>&1 || true
  "$RMQCTL" -n "$RMQ_NODE" -q set_permissions -p "$vhost" facepipe '.*' '.*' '.*' >/dev/null
}

cmd_env() {
  cat <<EOF
export FACEPIPE_DATA="$DATA"
export ConnectionStrings__Jobs="Host=127.0.0.1;Port=$PG_PORT;Database=facepipe;Username=facepipe;Password=facepipe"
export RabbitMq__Host=127.0.0.1
export RabbitMq__Port=$AMQP_PORT
export RabbitMq__Username=facepipe
export RabbitMq__Password=facepipe
export Media__Root="$DATA/media"
export Models__Root="\${FACEPIPE_MODELS:-$DATA/models}"
EOF
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  vhost) cmd_vhost "${2:?vhost name}" ;;
  *) echo "usage: $0 install|start|stop|status|env|vhost NAME" >&2; exit 2 ;;
esac
