import { randomBytes } from 'node:crypto';
import { SsdCreated, type PayloadOf } from '@jpki/contracts';
import { open, transportPrivateKey } from '@jpki/crypto';
import { buildPutKey, Scp03KeySet, SecurityLevel, Sw } from '@jpki/globalplatform';
import { IsdKeyDerivation } from '@jpki/tsm';
import { SeTsmUnderTest } from './test/se-harness';

const SSD = 'A0000005591010FFFFFFFF8900000200';

describe("item 3: the SE-management TSM cannot read the SP's keys after handover (eSE)", () => {
  const se = new SeTsmUnderTest();

  beforeAll(() => se.start(), 60_000);
  afterAll(() => se.stop());

  /** Every row of every table of se-tsm's schema, as PostgreSQL prints it. */
  const everythingStored = async (): Promise<string> => {
    const tables: { table_name: string }[] = await se.ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
    const rows = await Promise.all(tables.map(({ table_name }) => se.ds.query(`SELECT t::text AS row FROM "${table_name}" t`) as Promise<{ row: string }[]>));
    return rows.flat().map((r) => r.row).join('\n');
  };
  const forms = (key: Buffer) => [key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url')];

  it('once the SP has replaced the temporary keyset, nothing se-tsm holds opens the SSD, and the SP’s keys are nowhere in its database', async () => {
    const seid = await se.secureElement();
    const created = (await se.createSsd(seid, SSD)).reply.payload as PayloadOf<typeof SsdCreated>;
    const temp = se.openKeyset(seid, SSD, created.temporaryKeyset);
    const spKeys = new Scp03KeySet(temp.kvn === 0x31 ? 0x32 : 0x31, randomBytes(16), randomBytes(16), randomBytes(16));
    await se.inSsd(seid, SSD, temp, SecurityLevel.C_DECRYPTION_C_MAC_R_MAC, [buildPutKey(spKeys, temp.dek, temp.kvn)]);

    // se-tsm forgot the temporary keyset at handover; the box it handed over opens for the SP-TSM only.
    const [ssd] = await se.ds.query(`SELECT temp_keyset_sealed FROM ssd WHERE iccid = $1`, [seid]);
    expect(ssd.temp_keyset_sealed).toBeNull();
    const ownTransportKey = transportPrivateKey(se.keys.of('se-tsm').transportPkcs8);
    expect(() => open(created.temporaryKeyset, 'sp-tsm', ownTransportKey, `ssd-keyset/${seid}/${SSD}`)).toThrow();

    // Even the temporary keys themselves (as se-tsm generated them) and se-tsm's ISD keys for this eSE no longer open
    // an SCP03 session with the SSD: the card has no keyset of their KVN (INITIALIZE UPDATE answers 6A88).
    const isdKeys = new IsdKeyDerivation(se.settings.isdMasterKey, se.settings.isdKvn).forCard(seid);
    for (const keys of [temp, isdKeys]) {
      await expect(se.inSsd(seid, SSD, keys, SecurityLevel.C_MAC, [])).rejects.toMatchObject({ sw: Sw.REFERENCED_DATA_NOT_FOUND });
    }

    // Neither the SP's keys nor the temporary ones are in any column of any se-tsm table, in hex or base64.
    const stored = await everythingStored();
    expect(stored).toContain(seid);
    for (const key of [spKeys.enc, spKeys.mac, spKeys.dek, temp.enc, temp.mac, temp.dek]) {
      for (const form of forms(key)) expect(stored.includes(form)).toBe(false);
    }
    await expect(se.inSsd(seid, SSD, spKeys, SecurityLevel.C_MAC, [])).resolves.toBeDefined();
  }, 90_000);
});
