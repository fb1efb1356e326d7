import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the carrier's eligibility answer said about the SSD path: SCP03 S8/S16 mode and the largest APDU data field. */
export class SsdChannel1700000001200 implements MigrationInterface {
  name = 'SsdChannel1700000001200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE service_instance ADD COLUMN scp03_s_mode SMALLINT NOT NULL DEFAULT 8 CHECK (scp03_s_mode IN (8, 16)),
         ADD COLUMN max_apdu_data_bytes INTEGER NOT NULL DEFAULT 255`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_instance DROP COLUMN scp03_s_mode, DROP COLUMN max_apdu_data_bytes`);
  }
}
