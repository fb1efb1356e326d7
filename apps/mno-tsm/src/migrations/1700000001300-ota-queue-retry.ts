import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TsmTablesDdl } from '@jpki/tsm';

/** A queued operation whose card did not answer is tried again at `retry_at` (the phone may never detach and re-attach). */
export class OtaQueueRetry1700000001300 implements MigrationInterface {
  name = 'OtaQueueRetry1700000001300';

  async up(q: QueryRunner): Promise<void> {
    await TsmTablesDdl.otaQueueRetry(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ota_queue_retry`);
    await q.query(`ALTER TABLE ota_queue DROP COLUMN IF EXISTS retry_at`);
  }
}
