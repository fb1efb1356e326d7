import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A phone certificate's key lives in a secure element: a SIM (named by its ICCID) or a handset's embedded SE (its
 * SEID). The column that held the ICCID holds the SEID of either; an ICCID is the SEID of a SIM, so rows keep their value.
 */
export class CertificateSeid1700000001500 implements MigrationInterface {
  name = 'CertificateSeid1700000001500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate RENAME COLUMN iccid TO seid`);
    await q.query(`ALTER INDEX certificate_iccid RENAME TO certificate_seid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER INDEX certificate_seid RENAME TO certificate_iccid`);
    await q.query(`ALTER TABLE certificate RENAME COLUMN seid TO iccid`);
  }
}
