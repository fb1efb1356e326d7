import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SCP03 sequence counter the card last reported for its ISD keyset: the MNO-TSM predicts the next pseudo-random
 * card challenge from it and sends a whole ISD session as one OTA script. NULL: not known yet.
 */
export class IsdSequenceCounter1700000001100 implements MigrationInterface {
  name = 'IsdSequenceCounter1700000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sim ADD COLUMN isd_sequence_counter INTEGER CHECK (isd_sequence_counter >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sim DROP COLUMN isd_sequence_counter`);
  }
}
