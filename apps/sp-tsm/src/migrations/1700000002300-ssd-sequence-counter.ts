import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last SCP03 sequence counter the card reported for each SSD keyset: the SP computes the next pseudo-random card
 * challenge from it and sends a whole secure session as one script. NULL: not known (learned with one INITIALIZE UPDATE).
 */
export class SsdSequenceCounter1700000002300 implements MigrationInterface {
  name = 'SsdSequenceCounter1700000002300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ssd_keyset ADD COLUMN sequence_counter INTEGER CHECK (sequence_counter >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ssd_keyset DROP COLUMN sequence_counter`);
  }
}
