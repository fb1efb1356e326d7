import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The phone signing certificate: a fourth certificate kind, one active per person like the phone user-authentication
 * certificate, and a proofing record consumed once per phone certificate (the user-authentication issuance and the
 * signing issuance of one enrollment follow the same signed application).
 */
export class PhoneSigning1700000001400 implements MigrationInterface {
  name = 'PhoneSigning1700000001400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate DROP CONSTRAINT certificate_kind_check`);
    await q.query(
      `ALTER TABLE certificate ADD CONSTRAINT certificate_kind_check
         CHECK (kind IN ('card-signing', 'card-user-authentication', 'phone-user-authentication', 'phone-signing'))`,
    );
    await q.query(`CREATE UNIQUE INDEX certificate_one_active_phone_signing ON certificate (person_id) WHERE kind = 'phone-signing' AND status <> 'revoked'`);
    await q.query(`ALTER TABLE proofing ADD COLUMN signing_consumed_by TEXT`);
    await q.query(`DROP INDEX issuance_one_per_proofing`);
    await q.query(`CREATE UNIQUE INDEX issuance_one_per_proofing ON issuance (proofing_request_id, kind) WHERE proofing_request_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS issuance_one_per_proofing`);
    await q.query(`CREATE UNIQUE INDEX issuance_one_per_proofing ON issuance (proofing_request_id) WHERE proofing_request_id IS NOT NULL`);
    await q.query(`ALTER TABLE proofing DROP COLUMN IF EXISTS signing_consumed_by`);
    await q.query(`DROP INDEX IF EXISTS certificate_one_active_phone_signing`);
    await q.query(`ALTER TABLE certificate DROP CONSTRAINT certificate_kind_check`);
    await q.query(`ALTER TABLE certificate ADD CONSTRAINT certificate_kind_check CHECK (kind IN ('card-signing', 'card-user-authentication', 'phone-user-authentication'))`);
  }
}
