import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A deployed service instance may wait for a queued card operation (e.g. deletion while the phone is off). */
export class ServiceOperations1700000001100 implements MigrationInterface {
  name = 'ServiceOperations1700000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_instance ADD COLUMN pending_request TEXT, ADD COLUMN pending_operation TEXT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_instance DROP COLUMN pending_request, DROP COLUMN pending_operation`);
  }
}
