import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A phone issuance consumes one verified identity proofing record; the issuance row names the record it consumed. */
export class ProofingConsumption1700000001300 implements MigrationInterface {
  name = 'ProofingConsumption1700000001300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE proofing ADD COLUMN consumed_by TEXT, ADD COLUMN consumed_at TIMESTAMPTZ`);
    await q.query(`ALTER TABLE issuance ADD COLUMN proofing_request_id TEXT`);
    await q.query(`CREATE UNIQUE INDEX issuance_one_per_proofing ON issuance (proofing_request_id) WHERE proofing_request_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS issuance_one_per_proofing`);
    await q.query(`ALTER TABLE issuance DROP COLUMN IF EXISTS proofing_request_id`);
    await q.query(`ALTER TABLE proofing DROP COLUMN IF EXISTS consumed_by, DROP COLUMN IF EXISTS consumed_at`);
  }
}
