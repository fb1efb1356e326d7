import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SP scripts on their way to a SIM: the answer is awaited here, not in a saga; `resend_at` drives re-sends. */
export class OtaForward1700000001200 implements MigrationInterface {
  name = 'OtaForward1700000001200';

  async up(q: QueryRunner): Promise<void> {
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ota_forward`);
  }
}
