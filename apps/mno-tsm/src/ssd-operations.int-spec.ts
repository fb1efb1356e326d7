import { randomUUID } from 'node:crypto';
import {
  AuditCompleted,
  AuditRequested,
  MnoOperationFailed,
  ScriptForwardRequested,
  SsdCreated,
  SsdCreationRequested,
  SsdDeletionRequested,
  SsdOperationCompleted,
  SsdStatusChangeRequested,
  type PayloadOf,
} from '@jpki/contracts';
import { open, transportPrivateKey, type SealedBox } from '@jpki/crypto';
import {
  buildGetStatus,
  buildPutKey,
  fromHex,
  GetStatusScope,
  GpSession,
  hex,
  Ins,
  isLocked,
  Scp03KeySet,
  ScriptStopped,
  SecurityLevel,
  Sw,
  type CommandApdu,
} from '@jpki/globalplatform';
import { waitUntil } from '@jpki/testing';
import { MnoTsmUnderTest } from './test/mno-harness';

const SSD = 'A0000005591010FFFFFFFF8900000100';

describe('mno-tsm-softbank: SSD creation, forwarding, lock/unlock/delete, audit over OTA (real broker and DB, test vsim)', () => {
  const mno = new MnoTsmUnderTest('softbank', { CARD_STEP_MAX_ATTEMPTS: '2' });

  beforeAll(() => mno.start(), 60_000);
  afterAll(() => mno.stop());

  const createSsd = async (iccid: string, ssdAid = SSD, requestId = `ssd-${randomUUID()}`) => {
    await mno.send(SsdCreationRequested, { requestId, carrier: 'softbank', iccid, ssdAid, keysetRecipient: 'sp-tsm' });
    return { requestId, reply: await mno.reply(requestId, undefined, undefined, 60_000) };
  };
  const openKeyset = (iccid: string, ssdAid: string, box: SealedBox) => {
    const json = JSON.parse(open(box, 'sp-tsm', transportPrivateKey(mno.keys.keys.get('sp-tsm')!.transportPkcs8), `ssd-keyset/${iccid}/${ssdAid}`).toString('utf8'));
    return new Scp03KeySet(json.kvn, fromHex(json.enc), fromHex(json.mac), fromHex(json.dek));
  };
  const ssdEntry = (iccid: string, aid = SSD) => mno.responder.cards.get(iccid)!.toImage().registry.find((e) => e.aid === aid);
  // The SP-TSM side: a host GpSession over mno.script.forward-requested, one script per call (SELECT SSD, then a secure
  // session with `keys` carrying `commands`); SoftBank's SSDs are created in S16 mode.
  const ssd = fromHex(SSD);
  const inSsd = (iccid: string, keys: Scp03KeySet, securityLevel: number, commands: CommandApdu[]) =>
    new GpSession(mno.forwardScripts(iccid), ssd, keys, { securityLevel, sMode: 16 }).run((script, session) => {
      script.select(ssd);
      return session(ssd, commands);
    });

  it('learns the ISD counter with one INITIALIZE UPDATE, creates the SSD with a temporary keyset in one OTA script, hands it over sealed, and keeps only KCVs', async () => {
    const { iccid } = await mno.subscriber();
    const { requestId, reply } = await createSsd(iccid);
    expect(reply.type).toBe(SsdCreated.type);
    const created = reply.payload as PayloadOf<typeof SsdCreated>;
    expect(created.temporaryKeyset.recipient).toBe('sp-tsm');
    const temp = openKeyset(iccid, SSD, created.temporaryKeyset);
    expect(temp.kvn).toBe(created.kvn);
    expect(temp.kvn).toBeGreaterThanOrEqual(0x30);
    expect(temp.kvn).toBeLessThanOrEqual(0x3f);
    expect(temp.keyLength).toBe(32); // SoftBank profile: AES-256

    const scripts = mno.responder.received.filter((s) => s.scriptId.startsWith(`ssd-creation:${requestId}/`));
    expect(scripts.map((s) => s.scriptId)).toEqual([`ssd-creation:${requestId}/create-on-card/a1/s1`, `ssd-creation:${requestId}/create-on-card/a1/s2`]);
    expect(scripts[0].apdus.map((a) => a.slice(0, 8).toUpperCase())).toEqual(['00A40400', '80503000']);
    // SELECT, INITIALIZE UPDATE and EXTERNAL AUTHENTICATE with the predicted card challenge, then the wrapped commands.
    expect(scripts[1].apdus.slice(0, 3).map((a) => a.slice(0, 4).toUpperCase())).toEqual(['00A4', '8050', '8482']);
    expect(scripts[1].apdus.slice(3).map((a) => a.slice(0, 4).toUpperCase())).toEqual(expect.arrayContaining(['84E6', '84E2']));
    const [{ isd_sequence_counter }] = await mno.ds.query(`SELECT isd_sequence_counter FROM sim WHERE iccid = $1`, [iccid]);
    expect(isd_sequence_counter).toBe(2);
    // No key material in clear on the bearer: the STORE DATA carries the keys under the ISD DEK and C-ENC.
    expect(scripts.flatMap((s) => s.apdus).join('')).not.toContain(hex(temp.enc));

    const entry = ssdEntry(iccid);
    expect(entry).toMatchObject({ kind: 'SSD', installParameters: 'C90481020371', scpOptions: 0x71 }); // SoftBank profile: S16 mode
    const [row] = await mno.ds.query(`SELECT * FROM ssd WHERE iccid = $1`, [iccid]);
    const kcvs = temp.kcvs();
    expect(row).toMatchObject({ state: 'created', requested_by: 'sp-tsm', keyset_recipient: 'sp-tsm', temp_keyset_sealed: null, temp_kvn: temp.kvn });
    expect(row.temp_kcvs).toEqual({ enc: hex(kcvs.enc), mac: hex(kcvs.mac), dek: hex(kcvs.dek) });
    expect(row.handed_over_at).toBeInstanceOf(Date);
    const sim = await mno.http().get(`/sims/${iccid}`).set('authorization', mno.token(['auditor'])).expect(200);
    expect(sim.body.ssds[0]).toMatchObject({ ssdAid: SSD, state: 'created', keysStoredByMno: false, temporaryKvn: temp.kvn });

    // The SP-TSM authenticates with the temporary keys and rotates them; its own keys then open a session, and the SSD
    // has no applications yet (GET STATUS answers 6A88, which stops the script).
    const spKeys = Scp03KeySet.fromSingleKey(0x31, Buffer.alloc(32, 0x5a));
    await inSsd(iccid, temp, SecurityLevel.C_DECRYPTION_C_MAC_R_MAC, [buildPutKey(spKeys, temp.dek, temp.kvn)]);
    const noApplications = inSsd(iccid, spKeys, SecurityLevel.C_MAC, [buildGetStatus(GetStatusScope.APPLICATIONS, { aidPrefix: ssd })]);
    await expect(noApplications).rejects.toBeInstanceOf(ScriptStopped);
    await expect(noApplications).rejects.toMatchObject({ sw: Sw.REFERENCED_DATA_NOT_FOUND, command: { ins: Ins.GET_STATUS } });
  }, 90_000);

  it('answers a repeated request with the same sealed keyset, and a second creation of the AID with SSD_ALREADY_EXISTS', async () => {
    const { iccid } = await mno.subscriber();
    const first = await createSsd(iccid);
    await mno.send(SsdCreationRequested, { requestId: first.requestId, carrier: 'softbank', iccid, ssdAid: SSD, keysetRecipient: 'sp-tsm' });
    await waitUntil(() => mno.watcher.messages.filter((m) => m.topic === mno.events && (m.value ?? '').includes(first.requestId)).length === 2, 20_000, 'repeated answer');
    const answers = mno.watcher.messages.filter((m) => m.topic === mno.events && (m.value ?? '').includes(first.requestId)).map((m) => m.json<{ payload: unknown }>().payload);
    expect(answers[1]).toEqual(answers[0]);

    const second = await createSsd(iccid);
    expect(second.reply).toMatchObject({ type: MnoOperationFailed.type, payload: { operation: 'ssd-creation', reason: 'SSD_ALREADY_EXISTS' } });
    expect(String(second.reply.payload['detail'])).toContain(first.requestId);
  }, 60_000);

  it('re-sends the same scriptId when a response is lost, and resumes a lost attempt by recognising its own keyset', async () => {
    const { iccid } = await mno.subscriber();
    const lostOnce = `ssd-lost-once-${randomUUID()}`;
    mno.responder.loseFirstResponse.add(`ssd-creation:${lostOnce}/create-on-card/a1/s2`);
    const once = await createSsd(iccid, SSD, lostOnce);
    expect(once.reply.type).toBe(SsdCreated.type);
    const sends = mno.watcher.messages.filter((m) => m.topic === mno.otaDown && (m.value ?? '').includes(`${lostOnce}/create-on-card/a1/s2`));
    expect(sends.length).toBe(2);
    expect(sends[1].json<{ payload: unknown }>().payload).toEqual(sends[0].json<{ payload: unknown }>().payload);

    // Every response of attempt 1's second script is lost: the card installed the SSD, the MNO never heard.
    const other = await mno.subscriber();
    const lostAll = `ssd-lost-all-${randomUUID()}`;
    mno.responder.loseEveryResponse.add((id) => id === `ssd-creation:${lostAll}/create-on-card/a1/s2`);
    const resumed = await createSsd(other.iccid, SSD, lostAll);
    expect(resumed.reply.type).toBe(SsdCreated.type);
    const ids = mno.responder.received.filter((s) => s.scriptId.startsWith(`ssd-creation:${lostAll}/`)).map((s) => s.scriptId);
    expect(ids).toEqual(expect.arrayContaining([`ssd-creation:${lostAll}/create-on-card/a2/s3`]));
    const temp = openKeyset(other.iccid, SSD, (resumed.reply.payload as PayloadOf<typeof SsdCreated>).temporaryKeyset);
    await inSsd(other.iccid, temp, SecurityLevel.C_MAC, []);
  }, 90_000);

  it('reports a card refusal with its status word', async () => {
    const { iccid } = await mno.subscriber();
    // The AID of the ROM SD load file: INSTALL answers 6A80 and the AID is no SSD.
    const { reply } = await createSsd(iccid, 'A0000001515350');
    expect(reply).toMatchObject({ type: MnoOperationFailed.type, payload: { reason: 'CARD_REJECTED', statusWord: '6A80', operation: 'ssd-creation' } });
    const [row] = await mno.ds.query(`SELECT state, temp_keyset_sealed FROM ssd WHERE iccid = $1`, [iccid]);
    expect(row).toEqual({ state: 'failed', temp_keyset_sealed: null });
  }, 60_000);

  it('answers unreachable when the handset is off (creation fails, forwarding says unreachable)', async () => {
    const { iccid } = await mno.subscriber();
    mno.responder.unreachable.add(iccid);
    const { reply } = await createSsd(iccid);
    expect(reply).toMatchObject({ type: MnoOperationFailed.type, payload: { reason: 'SIM_UNREACHABLE' } });
    const requestId = `fwd-off-${randomUUID()}`;
    await mno.send(ScriptForwardRequested, { requestId, carrier: 'softbank', iccid, apdus: ['00A4040008A000000151000000'] });
    expect((await mno.reply(requestId)).payload).toMatchObject({ outcome: 'unreachable', responses: [] });
    mno.responder.unreachable.delete(iccid);
  }, 60_000);

  it('forwards a script without a saga: re-sends the same scriptId when the answer is lost, and answers OTA_NO_RESPONSE after the last send', async () => {
    const { iccid } = await mno.subscriber();
    const selectIsd = ['00A4040008A000000151000000'];
    const lostOnce = `fwd-lost-once-${randomUUID()}`;
    mno.responder.loseFirstResponse.add(`fwd/${lostOnce}`);
    await mno.send(ScriptForwardRequested, { requestId: lostOnce, carrier: 'softbank', iccid, apdus: selectIsd });
    expect((await mno.reply(lostOnce)).payload).toMatchObject({ outcome: 'executed', responses: [expect.stringMatching(/9000$/)] });
    const sends = mno.watcher.messages.filter((m) => m.topic === mno.otaDown && (m.value ?? '').includes(`fwd/${lostOnce}`));
    expect(sends.length).toBe(2);
    expect(sends[1].json<{ payload: unknown }>().payload).toEqual(sends[0].json<{ payload: unknown }>().payload);

    const lostAll = `fwd-lost-all-${randomUUID()}`;
    mno.responder.loseEveryResponse.add((id) => id === `fwd/${lostAll}`);
    await mno.send(ScriptForwardRequested, { requestId: lostAll, carrier: 'softbank', iccid, apdus: selectIsd });
    expect(await mno.reply(lostAll)).toMatchObject({ type: MnoOperationFailed.type, payload: { operation: 'script-forward', reason: 'OTA_NO_RESPONSE' } });
    expect(mno.responder.received.filter((r) => r.scriptId === `fwd/${lostAll}`).length).toBe(3);
    const sagas = await mno.ds.query(`SELECT count(*)::int AS n FROM saga WHERE id LIKE 'script-forward:%'`);
    expect(sagas[0].n).toBe(0);
  }, 60_000);

  it('locks and unlocks through the ISD, queueing while the handset is off, then deletes the SSD with its content', async () => {
    const { iccid } = await mno.subscriber();
    await createSsd(iccid);
    const lifeCycle = () => ssdEntry(iccid)?.lifeCycle;
    const unlockedState = lifeCycle()!;

    mno.responder.unreachable.add(iccid);
    const lock = `lock-${randomUUID()}`;
    await mno.send(SsdStatusChangeRequested, { requestId: lock, carrier: 'softbank', iccid, ssdAid: SSD, action: 'lock' });
    expect((await mno.reply(lock, SsdOperationCompleted.type)).payload).toMatchObject({ operation: 'lock', outcome: 'queued' });
    const unlock = `unlock-${randomUUID()}`;
    await mno.send(SsdStatusChangeRequested, { requestId: unlock, carrier: 'softbank', iccid, ssdAid: SSD, action: 'unlock' });
    expect((await mno.reply(unlock, SsdOperationCompleted.type)).payload).toMatchObject({ operation: 'unlock', outcome: 'queued' });
    expect(lifeCycle()).toBe(unlockedState);

    // The operators' view of the queue: both wait for the phone, counted with the oldest one's age; the card's own carrier only.
    const backlog = (await mno.http().get('/ota-queue').set('authorization', mno.token(['auditor'])).expect(200)).body;
    expect(backlog).toMatchObject({ carrier: 'softbank', states: expect.arrayContaining([expect.objectContaining({ state: 'waiting-for-phone', operation: 'lock' }), expect.objectContaining({ state: 'waiting-for-phone', operation: 'unlock' })]) });
    for (const s of backlog.states as { count: number; oldestAgeSeconds: number }[]) expect(s.count >= 1 && s.oldestAgeSeconds >= 0).toBe(true);
    const docomoToken = `Bearer ${mno.keys.operatorToken('daichi', ['operator'], { carrier: 'docomo' })}`;
    expect((await mno.http().get('/ota-queue').set('authorization', docomoToken).expect(403)).body).toMatchObject({ reason: 'CARRIER_SCOPE' });

    await mno.responder.reachable(iccid);
    expect((await mno.reply(lock, SsdOperationCompleted.type, (m) => (m.value ?? '').includes('"done"'))).payload).toMatchObject({ outcome: 'done' });
    expect((await mno.reply(unlock, SsdOperationCompleted.type, (m) => (m.value ?? '').includes('"done"'))).payload).toMatchObject({ outcome: 'done' });
    expect(lifeCycle()).toBe(unlockedState); // locked, then unlocked, in request order
    const drained = (await mno.http().get('/ota-queue').set('authorization', mno.token(['auditor'])).expect(200)).body.states as { state: string }[];
    expect(drained.filter((x) => x.state === 'waiting-for-phone')).toEqual([]);

    const lockNow = `lock-now-${randomUUID()}`;
    await mno.send(SsdStatusChangeRequested, { requestId: lockNow, carrier: 'softbank', iccid, ssdAid: SSD, action: 'lock' });
    expect((await mno.reply(lockNow, SsdOperationCompleted.type)).payload).toMatchObject({ outcome: 'done' });
    expect(lifeCycle()! & 0x83).toBe(0x83);

    mno.responder.unreachable.add(iccid);
    const delOff = `del-off-${randomUUID()}`;
    await mno.send(SsdDeletionRequested, { requestId: delOff, carrier: 'softbank', iccid, ssdAid: SSD, queueIfUnreachable: false });
    expect(await mno.reply(delOff)).toMatchObject({ type: MnoOperationFailed.type, payload: { reason: 'SIM_UNREACHABLE' } });
    mno.responder.unreachable.delete(iccid);

    const del = `del-${randomUUID()}`;
    await mno.send(SsdDeletionRequested, { requestId: del, carrier: 'softbank', iccid, ssdAid: SSD, queueIfUnreachable: true });
    expect((await mno.reply(del)).payload).toMatchObject({ operation: 'delete', outcome: 'done' });
    expect(ssdEntry(iccid)).toBeUndefined();
    const again = `del-again-${randomUUID()}`;
    await mno.send(SsdDeletionRequested, { requestId: again, carrier: 'softbank', iccid, ssdAid: SSD, queueIfUnreachable: true });
    expect((await mno.reply(again)).payload).toMatchObject({ outcome: 'not-present' });
    const [row] = await mno.ds.query(`SELECT state FROM ssd WHERE iccid = $1`, [iccid]);
    expect(row.state).toBe('deleted');
  }, 90_000);

  it('a lock whose answer was lost is done when the retry finds the SSD already locked (6A80 to SET STATUS)', async () => {
    const { iccid } = await mno.subscriber();
    await createSsd(iccid);
    const firstAttempt = (id: string) => id.includes('/apply/a1/');
    mno.responder.loseEveryResponse.add(firstAttempt);
    try {
      const lock = `lock-lost-${randomUUID()}`;
      await mno.send(SsdStatusChangeRequested, { requestId: lock, carrier: 'softbank', iccid, ssdAid: SSD, action: 'lock' });
      expect((await mno.reply(lock, SsdOperationCompleted.type, () => true, 60_000)).payload).toMatchObject({ operation: 'lock', outcome: 'done' });
    } finally {
      mno.responder.loseEveryResponse.delete(firstAttempt);
    }
    expect(isLocked(ssdEntry(iccid)!.lifeCycle)).toBe(true);
  }, 90_000);

  it('a delete the card carried out but never answered is not reported failed: the SP hears queued, and the retry finds the SSD gone', async () => {
    const { iccid } = await mno.subscriber();
    await createSsd(iccid);
    const firstRun = (id: string) => /^ssd-operation:softbank:\d+:1\//.test(id);
    mno.responder.loseEveryResponse.add(firstRun);
    const del = `del-unanswered-${randomUUID()}`;
    try {
      await mno.send(SsdDeletionRequested, { requestId: del, carrier: 'softbank', iccid, ssdAid: SSD, queueIfUnreachable: true });
      expect(await mno.reply(del, undefined, () => true, 60_000)).toMatchObject({ type: SsdOperationCompleted.type, payload: { operation: 'delete', outcome: 'queued' } });
    } finally {
      mno.responder.loseEveryResponse.delete(firstRun);
    }
    expect(ssdEntry(iccid)).toBeUndefined();
    const settled = await mno.reply(del, SsdOperationCompleted.type, (m) => (m.value ?? '').includes('"not-present"'), 60_000);
    expect(settled.payload).toMatchObject({ operation: 'delete', outcome: 'not-present' });
    const answers = mno.watcher.messages.filter((m) => m.topic === mno.events && (m.value ?? '').includes(del));
    expect(answers.map((m) => m.json<{ type: string }>().type)).not.toContain(MnoOperationFailed.type);
    const [row] = await mno.ds.query(`SELECT state FROM ssd WHERE iccid = $1`, [iccid]);
    expect(row.state).toBe('deleted');
  }, 90_000);

  it('audits the card through the ISD (GET STATUS) and reports free memory', async () => {
    const { iccid } = await mno.subscriber();
    await createSsd(iccid);
    const requestId = `audit-${randomUUID()}`;
    await mno.send(AuditRequested, { requestId, carrier: 'softbank', iccid });
    const audit = (await mno.reply(requestId, AuditCompleted.type, undefined, 60_000)).payload as PayloadOf<typeof AuditCompleted>;
    expect(audit.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ aid: 'A000000151000000', kind: 'isd' }),
        expect.objectContaining({ aid: SSD, kind: 'ssd' }),
        expect.objectContaining({ aid: 'A0000001515350', kind: 'load-file' }),
      ]),
    );
    expect(audit.freeMemoryBytes).toBeGreaterThan(0);
    expect(audit.freeMemoryBytes).toBeLessThan(96 * 1024);
  }, 60_000);

  it('refuses to forward an APDU larger than the carrier allows, and operations on SIMs outside the fleet', async () => {
    const { iccid } = await mno.subscriber();
    const big = `fwd-big-${randomUUID()}`;
    await mno.send(ScriptForwardRequested, { requestId: big, carrier: 'softbank', iccid, apdus: [`80E2800000012C${'00'.repeat(300)}`] });
    expect(await mno.reply(big)).toMatchObject({ type: MnoOperationFailed.type, payload: { reason: 'APDU_TOO_LARGE' } });
    const unknown = `fwd-unknown-${randomUUID()}`;
    await mno.send(ScriptForwardRequested, { requestId: unknown, carrier: 'softbank', iccid: '8981200000000000000', apdus: ['00A4040000'] });
    expect(await mno.reply(unknown)).toMatchObject({ type: MnoOperationFailed.type, payload: { reason: 'SIM_UNKNOWN' } });
    expect(mno.responder.received.some((s) => s.scriptId === `fwd/${big}` || s.scriptId === `fwd/${unknown}`)).toBe(false);
  });
});
