import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOperatorAuditTable, dropOperatorAuditIndexes, indexOperatorAuditTable } from '@jpki/service-kit';

/** The tables the shared TSM code reads and writes (the app's card table, through its `SecureElementStore`, aside). */
export const TSM_TABLES = ['ssd', 'tsm_operation', 'ota_queue', 'ota_forward', 'operator_audit'] as const;

/**
 * The DDL of the TSM tables, written once, as the steps they were introduced in: apps/mno-tsm's migrations run the
 * steps one by one (its history: `CreateMnoTables1700000001000`, `OtaForward1700000001200`,
 * `OtaQueueRetry1700000001300`), a TSM app that starts without history runs them together
 * (`CreateTsmTables1700000000500`). The `iccid` columns hold the card's SEID; `ssd` refers to the app's card table,
 * which the app's own migration links with a foreign key.
 */
export const TsmTablesDdl = {
  /** ssd, tsm_operation, ota_queue (without retries), operator_audit. */
  async first(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ssd (
        iccid               TEXT NOT NULL,
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
    await createOperatorAuditTable(q);
  },

  /** SP scripts on their way to a card: the answer is awaited here, not in a saga; `resend_at` drives re-sends. */
  async otaForward(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ota_forward (
        script_id      TEXT PRIMARY KEY,
        request_id     TEXT NOT NULL,
        iccid          TEXT NOT NULL,
        apdus          JSONB NOT NULL,
        operation      JSONB NOT NULL,
        sends          INT NOT NULL DEFAULT 1,
        resend_at      TIMESTAMPTZ NOT NULL,
        completed_at   TIMESTAMPTZ,
        created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ota_forward_pending ON ota_forward (resend_at) WHERE completed_at IS NULL`);
  },

  /** A queued operation whose card did not answer is tried again at `retry_at` (the phone may never detach and re-attach). */
  async otaQueueRetry(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ota_queue ADD COLUMN retry_at TIMESTAMPTZ`);
    await q.query(`CREATE INDEX ota_queue_retry ON ota_queue (retry_at) WHERE state = 'pending' AND retry_at IS NOT NULL`);
  },

  /** Operator reads by index: a SIM's whole OTA queue (`GET /sims/{iccid}`), the audit log by actor or target. */
  async operatorReadIndexes(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ota_queue_by_card ON ota_queue (iccid, id)`);
    await indexOperatorAuditTable(q);
  },

  async dropOperatorReadIndexes(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ota_queue_by_card`);
    await dropOperatorAuditIndexes(q);
  },
};

/** Every TSM table in its current shape, for a TSM app that starts without history (apps/se-tsm). */
export class CreateTsmTables1700000000500 implements MigrationInterface {
  name = 'CreateTsmTables1700000000500';

  async up(q: QueryRunner): Promise<void> {
    await TsmTablesDdl.first(q);
    await TsmTablesDdl.otaForward(q);
    await TsmTablesDdl.otaQueueRetry(q);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [...TSM_TABLES].reverse()) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}

/** Operator reads by index (`TsmTablesDdl.operatorReadIndexes`), one step of every TSM app's history. */
export class OperatorReadIndexes1700000001500 implements MigrationInterface {
  name = 'OperatorReadIndexes1700000001500';

  async up(q: QueryRunner): Promise<void> {
    await TsmTablesDdl.operatorReadIndexes(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await TsmTablesDdl.dropOperatorReadIndexes(q);
  }
}
