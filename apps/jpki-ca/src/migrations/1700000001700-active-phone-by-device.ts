import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An iPhone issuance asks whether another person's active phone certificate names the same device: found by index,
 * not by reading every active phone certificate.
 */
export class ActivePhoneByDevice1700000001700 implements MigrationInterface {
  name = 'ActivePhoneByDevice1700000001700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX certificate_active_phone_device ON certificate ((device->>'deviceId')) WHERE kind = 'phone-user-authentication' AND status <> 'revoked'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS certificate_active_phone_device`);
  }
}
