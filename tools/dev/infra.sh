#!/usr/bin/env bash
# Local infrastructure for development, tests and the demo: PostgreSQL, a real Kafka broker, topics.
#   tools/dev/infra.sh up     start what is missing and create the declared topics (idempotent)
#   tools/dev/infra.sh down   stop the Kafka broker this checkout started
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

case "${1:-up}" in
  up)
    bash tools/dev/postgres.sh
    bash tools/kafka/kafka.sh start
    node -r @swc-node/register tools/kafka/create-topics.ts
    ;;
  down)
    bash tools/kafka/kafka.sh stop
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
