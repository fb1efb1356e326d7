import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SSD keysets, applet content keys and service instances belong to a secure element: a SIM (named by its ICCID) or a
 * handset's embedded SE (its SEID). The columns that held the ICCID hold the SEID of either; an ICCID is the SEID of a
 * SIM, so rows keep their value (and the sealed values their associated data).
 */
export class SecureElementIds1700000002500 implements MigrationInterface {
  name = 'SecureElementIds1700000002500';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`ALTER TABLE ${table} RENAME COLUMN iccid TO seid`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`ALTER TABLE ${table} RENAME COLUMN seid TO iccid`);
  }
}

const TABLES = ['ssd_keyset', 'applet_content_key', 'service_instance'];
