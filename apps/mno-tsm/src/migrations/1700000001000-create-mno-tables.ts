import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fleet (SIMs, subscribers), SSD registry, TSM operations, the OTA queue and the operator audit log. */
export class CreateMnoTables1700000001000 implements MigrationInterface {
  name = 'CreateMnoTables1700000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE iccid_serial START 1`);
    await q.query(`
      CREATE TABLE sim (
        iccid              TEXT PRIMARY KEY,
        generation         TEXT NOT NULL,
        state              TEXT NOT NULL CHECK (state IN ('manufacturing', 'active', 'retired', 'deactivated')),
        isd_aid            TEXT NOT NULL,
        isd_kvn            INT NOT NULL,
        memory_quota_bytes INT NOT NULL,
        replaces_iccid     TEXT,
        eid                TEXT,
        free_memory_bytes  INT,
        memory_checked_at  TIMESTAMPTZ,
        ota_owner          TEXT,
        ota_owner_until    TIMESTAMPTZ,
        created_at         TIMESTAMPTZ NOT NULL,
        activated_at       TIMESTAMPTZ,
        updated_at         TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`
      CREATE TABLE subscriber (
        id           UUID PRIMARY KEY,
        msisdn       TEXT NOT NULL,
        iccid        TEXT NOT NULL UNIQUE REFERENCES sim (iccid),
        mvno         TEXT,
        status       TEXT NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'cancelled')),
        imei         TEXT,
        created_at   TIMESTAMPTZ NOT NULL,
        updated_at   TIMESTAMPTZ NOT NULL,
        cancelled_at TIMESTAMPTZ
      )`);
    // A cancelled number can be given out again; a live one belongs to one subscriber.
    await q.query(`CREATE UNIQUE INDEX subscriber_live_msisdn ON subscriber (msisdn) WHERE status <> 'cancelled'`);
    await q.query(`CREATE INDEX subscriber_by_msisdn ON subscriber (msisdn, created_at DESC)`);
    // SIM swaps keep the subscriber but move it to a new card; the old one is remembered here.
    await q.query(`
      CREATE TABLE sim_assignment (
        id            BIGSERIAL PRIMARY KEY,
        subscriber_id UUID NOT NULL REFERENCES subscriber (id),
        iccid         TEXT NOT NULL REFERENCES sim (iccid),
        assigned_at   TIMESTAMPTZ NOT NULL,
        ended_at      TIMESTAMPTZ
      )`);
    await q.query(`
      CREATE TABLE ssd (
        iccid               TEXT NOT NULL REFERENCES sim (iccid),
        ssd_aid             TEXT NOT NULL,
        state               TEXT NOT NULL CHECK (state IN ('creating', 'created', 'locked', 'deleted', 'failed')),
        request_id          TEXT NOT NULL,
        requested_by        TEXT NOT NULL,
        privileges          TEXT NOT NULL,
        install_parameters  TEXT NOT NULL,
        temp_kvn            INT,
        temp_kcvs           JSONB,
        temp_keyset_sealed  TEXT,
        keyset_recipient    TEXT,
        handed_over_at      TIMESTAMPTZ,
        created_at          TIMESTAMPTZ NOT NULL,
        updated_at          TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (iccid, ssd_aid)
      )`);
    await q.query(`
      CREATE TABLE tsm_operation (
        request_id     TEXT NOT NULL,
        kind           TEXT NOT NULL,
        requested_by   TEXT NOT NULL,
        iccid          TEXT,
        msisdn         TEXT,
        ssd_aid        TEXT,
        correlation_id TEXT NOT NULL,
        causation_id   TEXT,
        saga_id        TEXT,
        status         TEXT NOT NULL CHECK (status IN ('running', 'queued', 'completed', 'failed')),
        outcome        TEXT,
        reason         TEXT,
        status_word    TEXT,
        result         JSONB,
        created_at     TIMESTAMPTZ NOT NULL,
        completed_at   TIMESTAMPTZ,
        PRIMARY KEY (request_id, kind)
      )`);
    await q.query(`CREATE INDEX tsm_operation_by_iccid ON tsm_operation (iccid, created_at)`);
    await q.query(`
      CREATE TABLE ota_queue (
        id                    BIGSERIAL PRIMARY KEY,
        iccid                 TEXT NOT NULL,
        request_id            TEXT NOT NULL,
        operation             TEXT NOT NULL CHECK (operation IN ('lock', 'unlock', 'delete')),
        ssd_aid               TEXT NOT NULL,
        queue_if_unreachable  BOOLEAN NOT NULL,
        state                 TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
        runs                  INT NOT NULL DEFAULT 0,
        queued_notified       BOOLEAN NOT NULL DEFAULT false,
        created_at            TIMESTAMPTZ NOT NULL,
        updated_at            TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`CREATE INDEX ota_queue_open ON ota_queue (iccid, id) WHERE state IN ('pending', 'running')`);
    await q.query(`
      CREATE TABLE operator_audit (
        id       BIGSERIAL PRIMARY KEY,
        at       TIMESTAMPTZ NOT NULL,
        actor    TEXT NOT NULL,
        roles    TEXT[] NOT NULL,
        action   TEXT NOT NULL,
        target   TEXT,
        outcome  TEXT NOT NULL,
        details  JSONB
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['operator_audit', 'ota_queue', 'tsm_operation', 'ssd', 'sim_assignment', 'subscriber', 'sim']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP SEQUENCE IF EXISTS iccid_serial`);
  }
}
