#!/usr/bin/env bash
# Makes sure PostgreSQL answers. DATABASE_URL set means: use that server, start nothing.
set -euo pipefail
log() { echo "[postgres] $*" >&2; }

if [[ -n "${DATABASE_URL:-}" ]]; then log "DATABASE_URL is set: using it"; exit 0; fi
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ready; then log "answering on 127.0.0.1:5432"; exit 0; fi

command -v pg_ctlcluster >/dev/null || { log "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not available; start it or set DATABASE_URL"; exit 1; }
version="$(ls /etc/postgresql | sort -V | tail -n 1)"
log "starting local cluster $version/main"
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 60); do ready && { log "answering on 127.0.0.1:5432"; exit 0; }; sleep 0.5; done
log "PostgreSQL did not become ready"; exit 1
