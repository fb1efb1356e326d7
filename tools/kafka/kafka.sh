#!/usr/bin/env bash
# Real single-node Apache Kafka (KRaft) from Maven Central jars, for development and CI.
#   tools/kafka/kafka.sh start    resolve jars (first run), credentials (first run), format storage, start, wait
#                                 until ready, create the SCRAM users the broker lacks
#   tools/kafka/kafka.sh stop     controlled shutdown (SIGTERM), wait until gone
#   tools/kafka/kafka.sh status   exit 0 when a broker answers on the configured address
#   tools/kafka/kafka.sh reset    stop and wipe the data directory
# KAFKA_BROKERS set means: use that cluster, start nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/kafka"
STATE="${KAFKA_STATE_DIR:-$ROOT/.kafka}"
LIBS="$STATE/libs"
PIDFILE="$STATE/broker.pid"
LOGFILE="$STATE/broker.log"
HOST=127.0.0.1
PORT=9094
CLUSTER_ID="4L6g3nShT-eMCtK--X86sw"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml")"

log() { echo "[kafka] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

own_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

resolve_jars() {
  local stamp="$LIBS/.kafka-$KAFKA_VERSION"
  [[ -f "$stamp" ]] && return 0
  log "resolving Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS"
  rm -rf "$LIBS"
  mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS"
  touch "$stamp"
}

java_opts() {
  echo "-Xms256m -Xmx${KAFKA_HEAP:-512m} -XX:+UseG1GC -Djava.awt.headless=true" \
       "-Dlog4j2.configurationFile=file:$HERE/log4j2.properties -Dkafka.logs.dir=$STATE/logs"
}

# `user password` lines of every SCRAM principal; generates missing passwords (tools/kafka/credentials.ts).
SCRAM_USERS=""
ensure_credentials() {
  SCRAM_USERS="$(cd "$ROOT" && node -r @swc-node/register "$HERE/credentials.ts" "$STATE")"
}

# The checked-in properties plus this checkout's absolute data directory and generated secrets (mode 600).
write_config() {
  (umask 077; { grep -v '^log.dirs=' "$HERE/server.properties"; echo "log.dirs=$STATE/data"; cat "$STATE/server-secrets.properties"; } >"$STATE/server.properties")
}

format_storage() {
  [[ -f "$STATE/data/meta.properties" ]] && return 0
  log "formatting KRaft storage (cluster id $CLUSTER_ID) with the SCRAM users"
  mkdir -p "$STATE/data" "$STATE/logs"
  local scram=() user secret
  while read -r user secret; do scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$secret]"); done <<<"$SCRAM_USERS"
  # shellcheck disable=SC2046
  java $(java_opts) -cp "$LIBS/*" kafka.tools.StorageTool format \
    -t "$CLUSTER_ID" -c "$STATE/server.properties" --ignore-formatted "${scram[@]}" >/dev/null
}

config_command() {
  # shellcheck disable=SC2046
  java $(java_opts) -cp "$LIBS/*" kafka.admin.ConfigCommand --bootstrap-server "$HOST:$PORT" \
    --command-config "$STATE/admin-client.properties" --entity-type users "$@"
}

# Principals added to libs/contracts after the storage was formatted get their SCRAM user now (as the admin).
ensure_scram_users() {
  local known user secret
  if ! known="$(config_command --describe 2>&1)"; then
    log "the admin cannot authenticate: this storage predates the broker's credentials; run tools/kafka/kafka.sh reset"
    exit 1
  fi
  while read -r user secret; do
    grep -q "user-principal '$user'" <<<"$known" && continue
    log "creating SCRAM user $user"
    config_command --entity-name "$user" --alter --add-config "SCRAM-SHA-512=[password=$secret]" >/dev/null
  done <<<"$SCRAM_USERS"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  until grep -q "Kafka Server started" "$LOGFILE" 2>/dev/null && port_open; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker exited during startup; last log lines:"; tail -n 40 "$LOGFILE" >&2; exit 1
    fi
    if (( SECONDS > deadline )); then
      log "broker not ready after ${KAFKA_START_TIMEOUT:-90}s; last log lines:"; tail -n 40 "$LOGFILE" >&2; exit 1
    fi
    sleep 0.5
  done
}

start() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then log "KAFKA_BROKERS=$KAFKA_BROKERS is set: using that cluster"; return 0; fi
  local pid
  if pid="$(own_pid)"; then
    log "already running (pid $pid) on $HOST:$PORT"
    # A service added to libs/contracts since the broker started still gets its SCRAM user.
    resolve_jars
    ensure_credentials
    ensure_scram_users
    return 0
  fi
  if port_open; then log "a broker already listens on $HOST:$PORT: using it"; return 0; fi
  command -v java >/dev/null || { log "java not found (Java 17+ is required)"; exit 1; }
  command -v mvn >/dev/null || { log "mvn not found (Maven is required to resolve the broker jars)"; exit 1; }
  mkdir -p "$STATE"
  resolve_jars
  ensure_credentials
  write_config
  format_storage
  : >"$LOGFILE"
  # The broker outlives this script: it must not keep the caller's descriptors open (a flock(1) lock, a pipe).
  (
    for fd in /proc/$BASHPID/fd/*; do fd="${fd##*/}"; ((fd > 2)) && eval "exec $fd>&-"; done
    # shellcheck disable=SC2046
    exec nohup java $(java_opts) -cp "$LIBS/*" kafka.Kafka "$STATE/server.properties" >>"$LOGFILE" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$PIDFILE"
  wait_ready "$pid"
  ensure_scram_users
  log "Apache Kafka $KAFKA_VERSION ready on $HOST:$PORT (pid $pid, log $LOGFILE)"
}

stop() {
  local pid
  if ! pid="$(own_pid)"; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "stopped"; return 0; }; sleep 0.5; done
  log "broker did not stop within 60s; killing"; kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDFILE"
}

status() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then echo "external: $KAFKA_BROKERS"; return 0; fi
  if port_open; then echo "running on $HOST:$PORT"; return 0; fi
  echo "not running"; return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; rm -rf "$STATE/data" "$STATE/logs"; log "data wiped" ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
