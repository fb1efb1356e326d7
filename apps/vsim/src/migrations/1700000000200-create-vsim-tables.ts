import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The vSIM's state: one row per card (sealed image + power state), the result of every executed OTA script
 * (exactly once per script id), the handset's open logical channels and the audit trail of operator calls.
 */
export class CreateVsimTables1700000000200 implements MigrationInterface {
  name = 'CreateVsimTables1700000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sim (
        iccid             TEXT PRIMARY KEY,
        carrier           TEXT NOT NULL,
        generation        TEXT NOT NULL,
        isd_aid           TEXT NOT NULL,
        -- CardImage sealed with the service's KEK (AES-256-GCM, associated data vsim/card/<iccid>)
        image             TEXT NOT NULL,
        -- = image.revision: UPDATE … WHERE revision = previous
        revision          INTEGER NOT NULL CHECK (revision >= 0),
        -- new with every transaction that touched the card (APDUs, power): validates the in-memory instance
        state_token       UUID NOT NULL,
        handset_on        BOOLEAN NOT NULL DEFAULT true,
        power_changed_at  TIMESTAMPTZ,
        manufactured_at   TIMESTAMPTZ NOT NULL,
        updated_at        TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`CREATE INDEX sim_carrier ON sim (carrier)`);
    await q.query(`
      CREATE TABLE ota_script (
        script_id         TEXT PRIMARY KEY,
        iccid             TEXT NOT NULL REFERENCES sim (iccid),
        carrier           TEXT NOT NULL,
        -- SHA-256 of the command APDUs: a script id re-used for other commands is refused
        request_digest    TEXT NOT NULL,
        responses         JSONB NOT NULL,
        executed_at       TIMESTAMPTZ NOT NULL,
        deliveries        INTEGER NOT NULL DEFAULT 0,
        last_delivered_at TIMESTAMPTZ
      )`);
    await q.query(`CREATE INDEX ota_script_iccid ON ota_script (iccid, executed_at)`);
    await q.query(`
      CREATE TABLE handset_channel (
        iccid      TEXT NOT NULL REFERENCES sim (iccid),
        channel    SMALLINT NOT NULL CHECK (channel BETWEEN 1 AND 3),
        aid        TEXT NOT NULL,
        opened_at  TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (iccid, channel)
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id       BIGSERIAL PRIMARY KEY,
        at       TIMESTAMPTZ NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        iccid    TEXT,
        details  JSONB NOT NULL DEFAULT '{}'
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_log`);
    await q.query(`DROP TABLE IF EXISTS handset_channel`);
    await q.query(`DROP TABLE IF EXISTS ota_script`);
    await q.query(`DROP TABLE IF EXISTS sim`);
  }
}
