import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issuances may be renewals on the same applet (key of the previous phone certificate certified again). */
export class RenewalKeyMode1700000001200 implements MigrationInterface {
  name = 'RenewalKeyMode1700000001200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuance DROP CONSTRAINT IF EXISTS issuance_key_mode_check`);
    await q.query(`ALTER TABLE issuance ADD CONSTRAINT issuance_key_mode_check CHECK (key_mode IN ('csr', 'ca-generated', 'renewal', 'card'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuance DROP CONSTRAINT IF EXISTS issuance_key_mode_check`);
    await q.query(`ALTER TABLE issuance ADD CONSTRAINT issuance_key_mode_check CHECK (key_mode IN ('csr', 'ca-generated', 'card'))`);
  }
}
