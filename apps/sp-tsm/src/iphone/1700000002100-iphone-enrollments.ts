import type { MigrationInterface, QueryRunner } from 'typeorm';

/** iPhone enrollments (the saga holds the data; this table keeps one running enrollment per device). */
export class IphoneEnrollments1700000002100 implements MigrationInterface {
  name = 'IphoneEnrollments1700000002100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE iphone_enrollment (
        id          TEXT PRIMARY KEY,
        device_id   TEXT NOT NULL,
        method      TEXT NOT NULL CHECK (method IN ('device-key', 'ca-generated')),
        active      BOOLEAN NOT NULL DEFAULT true,
        person_id   UUID,
        serial      TEXT,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX iphone_enrollment_one_active_per_device ON iphone_enrollment (device_id) WHERE active`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS iphone_enrollment`);
  }
}
