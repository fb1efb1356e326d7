import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A phone's signing certificate is recorded beside its user-authentication one; only the latter is the phone's service. */
export class PhoneSigningCertificates1700000001100 implements MigrationInterface {
  name = 'PhoneSigningCertificates1700000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE phone_certificate ADD COLUMN kind TEXT NOT NULL DEFAULT 'phone-user-authentication'
         CHECK (kind IN ('phone-user-authentication', 'phone-signing'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE phone_certificate DROP COLUMN kind`);
  }
}
