import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TsmTablesDdl } from '@jpki/tsm';

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
    // The shared TSM tables (@jpki/tsm's DDL, in their first shape); the SSD registry belongs to a SIM of this fleet.
    await TsmTablesDdl.first(q);
    await q.query(`ALTER TABLE ssd ADD CONSTRAINT ssd_iccid_fkey FOREIGN KEY (iccid) REFERENCES sim (iccid)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['operator_audit', 'ota_queue', 'tsm_operation', 'ssd', 'sim_assignment', 'subscriber', 'sim']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP SEQUENCE IF EXISTS iccid_serial`);
  }
}
