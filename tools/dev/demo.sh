#!/usr/bin/env bash
# The main job: PostgreSQL, a real Kafka broker, every service as its own process, the operator console, and a scenario
# file (default scenarios/quick-tour.yaml; `npm start -- scenarios/<name>.yaml`, see tools/scenario/main.ts). Ctrl-C (or
# the end) stops everything, including the broker and the PostgreSQL cluster if this run started them.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export KAFKAJS_NO_PARTITIONER_WARNING=1
# This process's own logs (the services log at info to .run/demo/logs).
export LOG_LEVEL="${LOG_LEVEL:-fatal}"

# Against a platform already running (--target, --context or JPKI_CONTEXT), nothing is started here.
if [[ -n "${JPKI_CONTEXT:-}" ]]; then exec node -r @swc-node/register tools/scenario/main.ts "$@"; fi
for arg in "$@"; do
  if [[ "$arg" == --target* || "$arg" == --context* ]]; then exec node -r @swc-node/register tools/scenario/main.ts "$@"; fi
done

started_pg=false
started_kafka=false
if [[ -z "${DATABASE_URL:-}" ]] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then started_pg=true; fi
if [[ -z "${KAFKA_BROKERS:-}" ]] && ! bash tools/kafka/kafka.sh status >/dev/null 2>&1; then started_kafka=true; fi

stop_infra() {
  if $started_kafka; then bash tools/kafka/kafka.sh stop; fi
  if $started_pg; then pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main stop || true; fi
}
trap stop_infra EXIT

bash tools/dev/postgres.sh || exit 1
bash tools/kafka/kafka.sh start || exit 1
node -r @swc-node/register tools/scenario/main.ts "$@"
