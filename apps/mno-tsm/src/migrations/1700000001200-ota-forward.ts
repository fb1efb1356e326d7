import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TsmTablesDdl } from '@jpki/tsm';

/** SP scripts on their way to a SIM: the answer is awaited here, not in a saga; `resend_at` drives re-sends. */
export class OtaForward1700000001200 implements MigrationInterface {
  name = 'OtaForward1700000001200';

  async up(q: QueryRunner): Promise<void> {
    await TsmTablesDdl.otaForward(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ota_forward`);
  }
}
