import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A queued operation whose card did not answer is tried again at `retry_at` (the phone may never detach and re-attach). */
export class OtaQueueRetry1700000001300 implements MigrationInterface {
  name = 'OtaQueueRetry1700000001300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ota_queue ADD COLUMN retry_at TIMESTAMPTZ`);
    await q.query(`CREATE INDEX ota_queue_retry ON ota_queue (retry_at) WHERE state = 'pending' AND retry_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ota_queue_retry`);
    await q.query(`ALTER TABLE ota_queue DROP COLUMN IF EXISTS retry_at`);
  }
}
