import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every vsim table that names a card. */
const CARD_TABLES = ['sim', 'ota_script', 'handset_channel', 'handset_binding', 'handset_request_nonce', 'audit_log'];

/**
 * Cards of both kinds, keyed by SEID: a carrier's SIM (`uicc`, SEID = its ICCID) or a handset's embedded SE (`ese`, SEID
 * = `E5` and 18 hex digits, no carrier). The renames keep every row; existing cards are SIMs.
 */
export class SecureElementKinds1700000000220 implements MigrationInterface {
  name = 'SecureElementKinds1700000000220';

  async up(q: QueryRunner): Promise<void> {
    for (const table of CARD_TABLES) await q.query(`ALTER TABLE ${table} RENAME COLUMN iccid TO seid`);
    await q.query(`ALTER INDEX ota_script_iccid RENAME TO ota_script_seid`);
    await q.query(`ALTER TABLE sim ADD COLUMN kind TEXT NOT NULL DEFAULT 'uicc' CHECK (kind IN ('uicc', 'ese'))`);
    await q.query(`ALTER TABLE sim ALTER COLUMN kind DROP DEFAULT, ALTER COLUMN carrier DROP NOT NULL`);
    // A SEID tells its own kind, and only a SIM belongs to a carrier.
    await q.query(`
      ALTER TABLE sim
        ADD CONSTRAINT sim_seid_form CHECK ((kind = 'ese') = (seid ~ '^E5[0-9A-F]{18}$')),
        ADD CONSTRAINT sim_carrier_of_uicc CHECK ((kind = 'uicc') = (carrier IS NOT NULL))`);
    await q.query(`ALTER TABLE ota_script ALTER COLUMN carrier DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ n }]: { n: number }[] = await q.query(`SELECT count(*)::int AS n FROM sim WHERE kind = 'ese'`);
    if (n > 0) throw new Error(`${n} embedded SEs are stored: the schema before ${this.name} cannot hold them`);
    await q.query(`ALTER TABLE ota_script ALTER COLUMN carrier SET NOT NULL`);
    await q.query(`ALTER TABLE sim DROP CONSTRAINT sim_carrier_of_uicc, DROP CONSTRAINT sim_seid_form, DROP COLUMN kind, ALTER COLUMN carrier SET NOT NULL`);
    await q.query(`ALTER INDEX ota_script_seid RENAME TO ota_script_iccid`);
    for (const table of CARD_TABLES) await q.query(`ALTER TABLE ${table} RENAME COLUMN seid TO iccid`);
  }
}
