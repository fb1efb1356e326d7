#!/usr/bin/env bash
# The main job: PostgreSQL, a real Kafka broker, every service as its own process, and a
# multi-carrier enrollment + authentication scenario. Ctrl-C (or the end) stops everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export KAFKAJS_NO_PARTITIONER_WARNING=1
bash tools/dev/postgres.sh
bash tools/kafka/kafka.sh start
exec node -r @swc-node/register tools/dev/demo.ts "$@"
