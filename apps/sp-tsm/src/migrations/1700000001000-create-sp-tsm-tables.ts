import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSpTsmTables1700000001000 implements MigrationInterface {
  name = 'CreateSpTsmTables1700000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE enrollment (
        id              TEXT PRIMARY KEY,
        msisdn          TEXT NOT NULL,
        operator        TEXT NOT NULL,
        carrier         TEXT NOT NULL,
        key_mode        TEXT NOT NULL CHECK (key_mode IN ('on-card', 'delivered')),
        application     TEXT NOT NULL,
        active          BOOLEAN NOT NULL DEFAULT true,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // One enrollment at a time per phone number.
    await q.query(`CREATE UNIQUE INDEX enrollment_one_active_per_msisdn ON enrollment (msisdn) WHERE active`);
    await q.query(`
      CREATE TABLE ssd_keyset (
        iccid       TEXT NOT NULL,
        ssd_aid     TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('temporary', 'sp')),
        kvn         INT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'retired')),
        sealed      TEXT NOT NULL,
        kcv         TEXT NOT NULL,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (iccid, ssd_aid, role)
      )`);
    await q.query(`
      CREATE TABLE applet_content_key (
        iccid       TEXT NOT NULL,
        applet_aid  TEXT NOT NULL,
        sealed      TEXT NOT NULL,
        kcv         TEXT NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (iccid, applet_aid)
      )`);
    await q.query(`
      CREATE TABLE service_instance (
        iccid           TEXT PRIMARY KEY,
        enrollment_id   TEXT NOT NULL REFERENCES enrollment (id),
        carrier         TEXT NOT NULL,
        msisdn          TEXT NOT NULL,
        person_id       UUID NOT NULL,
        ssd_aid         TEXT NOT NULL,
        applet_aid      TEXT NOT NULL,
        serial          TEXT NOT NULL,
        key_mode        TEXT NOT NULL,
        state           TEXT NOT NULL,
        updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS service_instance`);
    await q.query(`DROP TABLE IF EXISTS applet_content_key`);
    await q.query(`DROP TABLE IF EXISTS ssd_keyset`);
    await q.query(`DROP TABLE IF EXISTS enrollment`);
  }
}
