import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An operator finds a phone by the IMEI its carrier last reported: by index, not by reading every SIM. */
export class SimByImei1700000001400 implements MigrationInterface {
  name = 'SimByImei1700000001400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX sim_imei ON sim (imei, updated_at DESC) WHERE imei IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS sim_imei`);
  }
}
