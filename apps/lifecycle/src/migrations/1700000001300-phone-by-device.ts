import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A card operation's outcome names the secure element: an eSE phone is found by its SEID (`device_id`) as a SIM phone by its ICCID. */
export class PhoneByDevice1700000001300 implements MigrationInterface {
  name = 'PhoneByDevice1700000001300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX phone_device ON phone (device_id, created_at DESC) WHERE device_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS phone_device`);
  }
}
