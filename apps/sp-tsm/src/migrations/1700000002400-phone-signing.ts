import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The phone signing certificate a service instance also runs (its own applet instance), when the person asked for it. */
export class PhoneSigning1700000002400 implements MigrationInterface {
  name = 'PhoneSigning1700000002400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_instance ADD COLUMN signing_serial TEXT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_instance DROP COLUMN signing_serial`);
  }
}
