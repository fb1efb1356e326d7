import { randomBytes, randomUUID } from 'node:crypto';
import {
  AuditCompleted,
  AuditRequested,
  EligibilityAnswered,
  EligibilityRequested,
  SsdCreated,
  SsdDeletionRequested,
  SsdOperationCompleted,
  SsdStatusChangeRequested,
  type PayloadOf,
} from '@jpki/contracts';
import { buildPutKey, hex, isLocked, Scp03KeySet, SecurityLevel } from '@jpki/globalplatform';
import { SeTsmUnderTest } from './test/se-harness';

const SSD = 'A0000005591010FFFFFFFF8900000100';

describe('se-tsm: an SP domain on an eSE over the push channel — creation, key handover, lock/unlock/delete, audit (real broker and DB, test vsim)', () => {
  const se = new SeTsmUnderTest({ CARD_STEP_MAX_ATTEMPTS: '2' });

  beforeAll(() => se.start(), 60_000);
  afterAll(() => se.stop());

  const ssdEntry = (seid: string) => se.responder.cards.get(seid)!.toImage().registry.find((e) => e.aid === SSD);

  it('answers eligibility, creates the SSD with a temporary keyset sealed to the SP-TSM, and the SP replaces it with PUT KEY through forwarded scripts', async () => {
    const seid = await se.secureElement();
    const eligibilityId = `elig-${randomUUID()}`;
    await se.send(EligibilityRequested, { requestId: eligibilityId, seid, applet: { aid: 'D392F000260100000101', requiredMemoryBytes: 20_000 } });
    expect((await se.reply(eligibilityId, EligibilityAnswered.type)).payload).toMatchObject({ seid, eligible: true, scp03KeyBytes: 16 });

    const { reply } = await se.createSsd(seid, SSD);
    expect(reply.type).toBe(SsdCreated.type);
    const created = reply.payload as PayloadOf<typeof SsdCreated>;
    expect(created).toMatchObject({ seid, ssdAid: SSD, temporaryKeyset: { recipient: 'sp-tsm' } });
    expect(created).not.toHaveProperty('carrier');
    const temp = se.openKeyset(seid, SSD, created.temporaryKeyset);
    expect(temp.kvn).toBe(created.kvn);
    expect(temp.keyLength).toBe(16);
    expect(ssdEntry(seid)).toMatchObject({ kind: 'SSD', installParameters: 'C90481020370' });
    const [row] = await se.ds.query(`SELECT * FROM ssd WHERE iccid = $1`, [seid]);
    expect(row).toMatchObject({ state: 'created', requested_by: 'sp-tsm', keyset_recipient: 'sp-tsm', temp_keyset_sealed: null, temp_kvn: temp.kvn });

    const spKeys = new Scp03KeySet(temp.kvn === 0x31 ? 0x32 : 0x31, randomBytes(16), randomBytes(16), randomBytes(16));
    const handover = await se.inSsd(seid, SSD, temp, SecurityLevel.C_DECRYPTION_C_MAC_R_MAC, [buildPutKey(spKeys, temp.dek, temp.kvn)]);
    const kcvs = spKeys.kcvs();
    expect(hex(handover.data[0])).toBe(hex(Buffer.concat([Buffer.from([spKeys.kvn]), kcvs.enc, kcvs.mac, kcvs.dek])));
    await expect(se.inSsd(seid, SSD, spKeys, SecurityLevel.C_MAC, [])).resolves.toBeDefined();
  }, 90_000);

  it('locks and unlocks through the ISD, queued while the handset is off, audits the eSE, then deletes the SSD', async () => {
    const seid = await se.secureElement();
    await se.createSsd(seid, SSD);
    const unlocked = ssdEntry(seid)!.lifeCycle;
    const change = async (action: 'lock' | 'unlock') => {
      const requestId = `${action}-${randomUUID()}`;
      await se.send(SsdStatusChangeRequested, { requestId, seid, ssdAid: SSD, action });
      return requestId;
    };
    const outcome = async (requestId: string, wanted: string) =>
      (await se.reply(requestId, SsdOperationCompleted.type, (m) => (m.value ?? '').includes(`"${wanted}"`))).payload;

    se.responder.unreachable.add(seid);
    const lock = await change('lock');
    expect(await outcome(lock, 'queued')).toMatchObject({ seid, operation: 'lock', outcome: 'queued' });
    expect(ssdEntry(seid)!.lifeCycle).toBe(unlocked);
    await se.responder.reachable(seid);
    expect(await outcome(lock, 'done')).toMatchObject({ seid, operation: 'lock', outcome: 'done' });
    expect(isLocked(ssdEntry(seid)!.lifeCycle)).toBe(true);
    const unlock = await change('unlock');
    expect(await outcome(unlock, 'done')).toMatchObject({ operation: 'unlock' });
    expect(ssdEntry(seid)!.lifeCycle).toBe(unlocked);

    const auditId = `audit-${randomUUID()}`;
    await se.send(AuditRequested, { requestId: auditId, seid });
    const audit = (await se.reply(auditId, AuditCompleted.type, undefined, 60_000)).payload as PayloadOf<typeof AuditCompleted>;
    expect(audit).toMatchObject({ seid });
    expect(audit.entries).toEqual(expect.arrayContaining([expect.objectContaining({ aid: 'A000000151000000', kind: 'isd' }), expect.objectContaining({ aid: SSD, kind: 'ssd' })]));
    expect(audit.freeMemoryBytes).toBeLessThan(128 * 1024);

    const del = `del-${randomUUID()}`;
    await se.send(SsdDeletionRequested, { requestId: del, seid, ssdAid: SSD, queueIfUnreachable: true });
    expect(await outcome(del, 'done')).toMatchObject({ operation: 'delete' });
    expect(ssdEntry(seid)).toBeUndefined();
    const [row] = await se.ds.query(`SELECT state FROM ssd WHERE iccid = $1`, [seid]);
    expect(row.state).toBe('deleted');
  }, 90_000);
});
