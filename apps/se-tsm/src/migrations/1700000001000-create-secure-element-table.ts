import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The handsets' embedded SEs; the shared TSM tables (`@jpki/tsm`) come first, and an SSD belongs to one of them. */
export class CreateSecureElementTable1700000001000 implements MigrationInterface {
  name = 'CreateSecureElementTable1700000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE secure_element (
        seid                 TEXT PRIMARY KEY CHECK (seid ~ '^E5[0-9A-F]{18}$'),
        model                TEXT NOT NULL,
        state                TEXT NOT NULL CHECK (state IN ('manufacturing', 'active', 'retired', 'deactivated')),
        isd_aid              TEXT NOT NULL,
        isd_kvn              INT NOT NULL,
        isd_sequence_counter INTEGER CHECK (isd_sequence_counter >= 0),
        memory_quota_bytes   INT NOT NULL,
        free_memory_bytes    INT,
        memory_checked_at    TIMESTAMPTZ,
        ota_owner            TEXT,
        ota_owner_until      TIMESTAMPTZ,
        created_at           TIMESTAMPTZ NOT NULL,
        activated_at         TIMESTAMPTZ,
        updated_at           TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`CREATE INDEX secure_element_newest ON secure_element (created_at DESC, seid DESC)`);
    await q.query(`ALTER TABLE ssd ADD CONSTRAINT ssd_secure_element FOREIGN KEY (iccid) REFERENCES secure_element (seid)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ssd DROP CONSTRAINT IF EXISTS ssd_secure_element`);
    await q.query(`DROP TABLE IF EXISTS secure_element`);
  }
}
