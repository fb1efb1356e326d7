import { randomUUID } from 'node:crypto';
import {
  buildChangeReferenceData,
  buildGetStatus,
  buildManageChannelOpen,
  buildSelect,
  buildVerify,
  fromHex,
  GetStatusScope,
  hex,
  JpkiAid,
} from '@jpki/globalplatform';
import { OtaScriptRequested, SimManufactureRequested, SimReachable, Topics, type Envelope } from '@jpki/contracts';
import { waitUntil } from '@jpki/testing';
import { seededLossDraw } from './bearer/ota-bearer';
import {
  createSsdCommands,
  installJpkiCommand,
  ISD_AID,
  inSessionOverOta,
  newIccid,
  plannedSessionOverOta,
  randomIsdKeys,
  SSD_AID,
  swOf,
  VsimHarness,
  type PhoneUnderTest,
} from './test/vsim-harness';

const SEED = 'vsim-int-seed';
const JPKI = hex(JpkiAid.DEFAULT_INSTANCE);
/** Allowed by the access rules but not installed on the card. */
const ABSENT_APPLET = 'D392F000260100000199';

describe('vsim over the real broker and database', () => {
  let h: VsimHarness;
  const iccid = newIccid('docomo');
  const isdKeys = randomIsdKeys();
  const tempKeys = randomIsdKeys(0x30);
  /** PIN tries left on the JPKI applet of `iccid`, as the tests below spend them. */
  let pinTries = 3;

  beforeAll(async () => {
    h = await VsimHarness.start({
      OTA_BEARER: 'docomo:latency=0,loss=0;kddi:latency=250,loss=0;softbank:latency=0,loss=0.5',
      OTA_BEARER_SEED: SEED,
      // Listing the SSD proves the rule: security domains stay unreachable whatever the list says.
      HANDSET_ALLOWED_AIDS: `${JPKI},${hex(SSD_AID)},${ABSENT_APPLET}`,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  /** The phone the SIM is put in, once the JPKI applet is installed. */
  let phone: PhoneUnderTest;
  const transmit = (channel: number, apdu: string, sim = iccid) => phone.transmit(channel, apdu, sim);
  const summary = async (sim = iccid) => (await h.http.get(`/sims/${sim}`).set('authorization', h.token(['auditor'])).expect(200)).body;

  it('manufactures a SIM from an ISD keyset sealed to the vSIM, once per ICCID, with the image encrypted at rest', async () => {
    const made = await h.manufacture('docomo', iccid, isdKeys);
    expect(made).toEqual({ carrier: 'docomo', iccid, isdAid: hex(ISD_AID) });

    const again = await h.manufacture('docomo', iccid, isdKeys);
    expect(again).toEqual(made);
    const rows = await h.ds.query(`SELECT revision FROM sim WHERE seid = $1`, [iccid]);
    expect(rows).toEqual([{ revision: 0 }]);

    // Sealed for another ICCID: the box does not open, nothing is created.
    const other = newIccid('docomo');
    const wrongBox = { ...h.manufactureRequest('docomo', other, isdKeys), isdKeyset: h.manufactureRequest('docomo', iccid, isdKeys).isdKeyset };
    const bad = await h.send(SimManufactureRequested, wrongBox);
    expect((await h.deadLetter(bad.messageId)).headers['x-failure-reason']).toBe('ISD_KEYSET_UNSEALABLE');
    expect(await h.ds.query(`SELECT 1 FROM sim WHERE seid = $1`, [other])).toEqual([]);

    const { image } = await h.sealedImage(iccid);
    expect(image.startsWith('v1.')).toBe(true);
    for (const key of [isdKeys.enc, isdKeys.mac, isdKeys.dek]) {
      for (const encoded of [key.toString('hex'), hex(key), key.toString('base64')]) expect(image).not.toContain(encoded);
    }

    const card = await summary();
    expect(card).toMatchObject({ seid: iccid, kind: 'uicc', carrier: 'docomo', generation: 'docomo-uim-5g', handset: { power: 'on' }, revision: 0 });
    expect(card.card.registry[0]).toMatchObject({ kind: 'ISD', aid: hex(ISD_AID), lifeCycle: { name: 'PERSONALIZED' } });
    expect(card.card.registry[0].keysets).toEqual([
      { kvn: '30', keyBits: 128, complete: true, sequenceCounter: 0, failedAuthentications: 0, blocked: false },
    ]);
    expect(JSON.stringify(card)).not.toContain(hex(isdKeys.enc));
    await h.http.get(`/sims/${iccid}`).expect(401);
    await h.http.get(`/sims/${iccid}`).set('authorization', h.token(['operator'])).expect(403);
  });

  it('drives the card with SCP03 over OTA: the session survives between scripts, a tampered C-MAC stops the script with 6982', async () => {
    const created = createSsdCommands(isdKeys, tempKeys);
    const getStatus = buildGetStatus(GetStatusScope.APPLICATIONS);
    const isd = await plannedSessionOverOta(h, { carrier: 'docomo', iccid }, ISD_AID, isdKeys, [...created, ...Array.from({ length: 5 }, () => getStatus)]);
    const opened = isd.apdus.length - 5;
    const first = await h.script('docomo', iccid, isd.apdus.slice(0, opened));
    expect(first.responses.map(swOf)).toEqual(isd.apdus.slice(0, opened).map(() => '9000'));

    // A later script continues the same secure channel (C-MAC chaining; the host checks the R-MACs below).
    const [status, good, tampered, never, after] = isd.apdus.slice(opened);
    const next = await h.script('docomo', iccid, [status]);
    expect(next.responses.map(swOf)).toEqual(['9000']);

    tampered[tampered.length - 2] ^= 0x01; // the last byte is Le; the C-MAC ends just before it
    const stopped = await h.script('docomo', iccid, [good, tampered, never]);
    expect(stopped.responses.map(swOf)).toEqual(['9000', '6982']);
    // The card aborted the session: nothing more goes through it.
    const later = await h.script('docomo', iccid, [after]);
    expect(later.responses.map(swOf)).toEqual(['6982']);
    // The host checks every answer (card cryptogram, R-MACs) up to the refusal of the altered command.
    const answers = [first, next, stopped].flatMap((s) => s.responses.map((r) => fromHex(r)));
    await expect(isd.check(answers)).rejects.toMatchObject({ sw: 0x6982, command: { ins: getStatus.ins } });
    expect(isd.part.sws).toEqual([...created, status, good].map(() => 0x9000));
    expect(hex(isd.part.data[created.length])).toContain(hex(SSD_AID));
    const ssd = (await summary()).card.registry.find((e: { aid: string }) => e.aid === hex(SSD_AID));
    expect(ssd).toMatchObject({ kind: 'SSD', lifeCycle: { name: 'SELECTABLE' }, privileges: ['SecurityDomain', 'AuthorizedManagement'] });
    const { image } = await h.sealedImage(iccid);
    expect(image).not.toContain(hex(tempKeys.enc));
  });

  it('gives the handset the JPKI applet and refuses the security domains and channel switches', async () => {
    const { sws } = await inSessionOverOta(h, { carrier: 'docomo', iccid }, SSD_AID, tempKeys, [installJpkiCommand()], 0x01);
    expect(sws).toEqual([0x9000]);
    phone = await h.insertSim(iccid);

    for (const aid of [hex(ISD_AID), hex(SSD_AID), 'A0000000871002FF']) {
      const refused = await phone.open(aid).expect(403);
      expect(refused.body.reason).toBe('ACCESS_DENIED_BY_ARA');
    }
    const opened = await phone.open(JPKI).expect(201);
    expect(opened.body).toEqual({ channel: 1, selectResponse: '9000' });

    expect((await transmit(1, buildVerify().toString()).expect(200)).body).toEqual({ response: '6984', sw: '6984' });
    expect((await transmit(1, buildChangeReferenceData('1234').toString()).expect(200)).body.sw).toBe('9000');
    expect((await transmit(1, buildVerify('0000').toString()).expect(200)).body.sw).toBe('63C2');
    pinTries = 2;
    expect((await transmit(1, buildVerify().toString()).expect(200)).body.sw).toBe('63C2');
    expect((await transmit(1, buildSelect(JpkiAid.DEFAULT_INSTANCE).toString()).expect(200)).body.sw).toBe('9000');

    expect((await transmit(1, buildSelect(ISD_AID).toString()).expect(403)).body.reason).toBe('CHANNEL_SWITCH_DENIED');
    expect((await transmit(1, buildManageChannelOpen().toString()).expect(403)).body.reason).toBe('CHANNEL_SWITCH_DENIED');
    expect((await transmit(1, '8050300008' + '11'.repeat(8) + '00').expect(403)).body.reason).toBe('ACCESS_DENIED_BY_ARA');
    expect((await transmit(1, 'zz').expect(400)).body.reason).toBe('APDU_HEX_INVALID');
    expect((await transmit(1, '00A4').expect(400)).body.reason).toBe('APDU_TOO_SHORT');
    expect((await transmit(1, '0020008105313233').expect(400)).body.reason).toBe('APDU_LENGTH_INVALID');
    expect((await transmit(2, '00200081').expect(404)).body.reason).toBe('CHANNEL_NOT_OPEN');
    expect((await transmit(7, '00200081').expect(400)).body.reason).toBe('CHANNEL_INVALID');
    expect((await transmit(1, '00200081', newIccid('docomo')).expect(404)).body.reason).toBe('SIM_NOT_FOUND');
    expect((await transmit(1, '00200081', '1234').expect(400)).body.reason).toBe('SEID_INVALID');
    expect((await phone.open('A000').expect(400)).body.reason).toBe('VALIDATION_FAILED');

    const absent = await phone.open(ABSENT_APPLET).expect(404);
    expect(absent.body).toMatchObject({ reason: 'APPLET_NOT_FOUND', details: { selectResponse: '6A82' } });
    const more = [];
    for (let i = 0; i < 2; i++) more.push((await phone.open(JPKI).expect(201)).body.channel);
    expect(more).toEqual([2, 3]);
    expect((await phone.open(JPKI).expect(409)).body.reason).toBe('NO_CHANNEL_AVAILABLE');
    for (const ch of more) await phone.close(ch).expect(204);
    await h.http.get(`/sims/${newIccid('docomo')}`).set('authorization', h.token(['integrator'])).expect(404);

    const card = await summary();
    expect(card.openChannels).toEqual([{ channel: 1, aid: JPKI, openedAt: expect.any(String), imei: phone.handset.imei, lastUsedAt: expect.any(String) }]);
    const applet = card.card.registry.find((e: { aid: string }) => e.aid === JPKI);
    expect(applet).toMatchObject({ kind: 'APP', associatedSd: hex(SSD_AID), jpki: { pinSet: true, pinTriesRemaining: 2, keyPair: false } });
    expect(JSON.stringify(card)).not.toMatch(/pinDigest|privateKey/);

    await phone.close(1).expect(204);
    await transmit(1, '00200081').expect(404);
  });

  it('switches the handset off and on: 409 and unreachable while off, reachable event and a reset card after, PIN tries kept', async () => {
    const ch = (await phone.open(JPKI).expect(201)).body.channel;
    await h.http.put(`/sims/${iccid}/handset`).send({ power: 'off' }).set('authorization', h.token(['auditor'])).expect(403);
    await h.http.put(`/sims/${iccid}/handset`).send({ power: 'off' }).expect(401);
    const off = await h.http.put(`/sims/${iccid}/handset`).send({ power: 'off' }).set('authorization', h.token(['integrator'], 'ian')).expect(200);
    expect(off.body).toMatchObject({ seid: iccid, carrier: 'docomo', power: 'off', changed: true });

    expect((await transmit(ch, buildVerify().toString()).expect(409)).body.reason).toBe('HANDSET_OFF');
    expect((await phone.open(JPKI).expect(409)).body.reason).toBe('HANDSET_OFF');
    const revision = (await h.sealedImage(iccid)).revision;
    const unreachable = await h.script('docomo', iccid, [buildSelect(JpkiAid.DEFAULT_INSTANCE), buildVerify('0000')]);
    expect(unreachable).toMatchObject({ outcome: 'unreachable', responses: [] });
    expect((await h.sealedImage(iccid)).revision).toBe(revision);

    const on = await h.http.put(`/sims/${iccid}/handset`).send({ power: 'on' }).set('authorization', h.token(['operator'], 'olga')).expect(200);
    expect(on.body).toMatchObject({ power: 'on', changed: true });
    const again = await h.http.put(`/sims/${iccid}/handset`).send({ power: 'on' }).set('authorization', h.token(['operator'], 'olga')).expect(200);
    expect(again.body.changed).toBe(false);
    const reachable = await h.watcher.waitFor(
      (m) => m.topic === h.topic(Topics.otaUp.docomo.name) && m.json<Envelope>().type === SimReachable.type && m.value!.includes(iccid),
    );
    expect(reachable.json<Envelope>().payload).toMatchObject({ carrier: 'docomo', iccid });
    expect(reachable.json<Envelope>().producer).toBe('vsim');
    expect(reachable.json<Envelope>().signature).toBeDefined();

    // The power cycle closed the channel; the PIN try counter was not restored.
    expect((await transmit(ch, buildVerify().toString()).expect(404)).body.reason).toBe('CHANNEL_NOT_OPEN');
    const reopened = (await phone.open(JPKI).expect(201)).body.channel;
    expect((await transmit(reopened, buildVerify().toString()).expect(200)).body.sw).toBe(`63C${pinTries}`);
    await phone.close(reopened).expect(204);

    const audit = await h.ds.query(`SELECT actor, action, details FROM audit_log WHERE seid = $1 AND action LIKE 'handset.%' ORDER BY id`, [iccid]);
    expect(audit.map((a: { actor: string; action: string }) => `${a.actor}:${a.action}`)).toEqual([
      'tester:handset.bind',
      'ian:handset.power-off',
      'olga:handset.power-on',
      'olga:handset.power-on',
    ]);
  });

  it('executes a script id exactly once: a redelivered message is ignored, a re-sent script gets the stored result', async () => {
    const scriptId = `dup-${randomUUID()}`;
    const payload = { scriptId, carrier: 'docomo' as const, iccid, apdus: [buildSelect(JpkiAid.DEFAULT_INSTANCE).toString(), buildVerify('0000').toString()] };
    const first = h.envelope(OtaScriptRequested, payload);
    await h.sendEnvelope(first, Topics.otaDown.docomo.name, iccid);
    await h.sendEnvelope(first, Topics.otaDown.docomo.name, iccid); // redelivery: same message id
    const reply = await h.reply(first.messageId);
    pinTries -= 1;
    expect((reply.payload as { responses: string[] }).responses).toEqual(['9000', `63C${pinTries}`]);
    const revision = (await h.sealedImage(iccid)).revision;

    const resent = await h.send(OtaScriptRequested, payload); // the MNO-TSM re-sends: new message, same script id
    const replay = await h.reply(resent.messageId);
    expect(replay.payload).toEqual(reply.payload);
    expect((await h.sealedImage(iccid)).revision).toBe(revision);
    expect(h.repliesTo(first.messageId)).toHaveLength(1);
    const [stored] = await h.ds.query(`SELECT deliveries, responses FROM ota_script WHERE script_id = $1`, [scriptId]);
    expect(stored).toEqual({ deliveries: 2, responses: ['9000', `63C${pinTries}`] });

    const conflicting = await h.send(OtaScriptRequested, { ...payload, apdus: [buildVerify('1111').toString()] });
    expect((await h.deadLetter(conflicting.messageId)).headers['x-failure-reason']).toBe('SCRIPT_ID_CONFLICT');
    const applet = (await summary()).card.registry.find((e: { aid: string }) => e.aid === JPKI);
    expect(applet.jpki.pinTriesRemaining).toBe(pinTries);
  });

  it('loses downlink and uplink at the seeded rate; the re-send after a lost response returns the stored result', async () => {
    const sim = newIccid('softbank');
    const keys = randomIsdKeys();
    await h.manufacture('softbank', sim, keys);
    const draw = seededLossDraw(SEED);
    const pick = (down: boolean, up: boolean) => {
      for (;;) {
        const id = randomUUID();
        if (draw('downlink', id) < 0.5 === down && (down || draw('uplink', id) < 0.5 === up)) return id;
      }
    };
    const scriptId = `lossy-${randomUUID()}`;
    const payload = { scriptId, carrier: 'softbank' as const, iccid: sim, apdus: [buildSelect().toString(), '8050300008' + '01'.repeat(8) + '00'] };

    const downLost = await h.send(OtaScriptRequested, payload, { messageId: pick(true, false) });
    const upLost = await h.send(OtaScriptRequested, payload, { messageId: pick(false, true) });
    await waitUntil(async () => (await h.ds.query(`SELECT 1 FROM ota_script WHERE script_id = $1`, [scriptId])).length === 1, 15_000, 'script stored');
    const revision = (await h.sealedImage(sim)).revision;
    expect(revision).toBe(1); // INITIALIZE UPDATE ran once (sequence counter)
    const delivered = await h.send(OtaScriptRequested, payload, { messageId: pick(false, false) });
    const reply = await h.reply(delivered.messageId);
    const responses = (reply.payload as { responses: string[] }).responses;
    expect(responses.map(swOf)).toEqual(['9000', '9000']);
    // KDD(10) ‖ key info(3) ‖ card challenge(8) ‖ card cryptogram(8) ‖ sequence counter(3): still 1, not run again
    expect(responses[1].slice(58, 64)).toBe('000001');
    expect((await h.sealedImage(sim)).revision).toBe(revision);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.repliesTo(downLost.messageId)).toHaveLength(0);
    expect(h.repliesTo(upLost.messageId)).toHaveLength(0);
    const [stored] = await h.ds.query(`SELECT deliveries FROM ota_script WHERE script_id = $1`, [scriptId]);
    expect(stored.deliveries).toBe(1);
  });

  it('delays responses by the carrier latency', async () => {
    const sim = newIccid('kddi');
    await h.manufacture('kddi', sim, randomIsdKeys());
    const started = Date.now();
    const done = await h.script('kddi', sim, [buildSelect()]);
    expect(done.responses.map(swOf)).toEqual(['9000']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("degrades a carrier's OTA bearer for an integrator (a latency spike), restores it, audits both; refuses everyone else", async () => {
    const sim = newIccid('docomo');
    await h.manufacture('docomo', sim, randomIsdKeys());
    const integrator = h.token(['integrator'], 'ivy');
    const put = (token: string, body: object, carrier = 'docomo') => h.http.put(`/ota-bearer/${carrier}`).send(body).set('authorization', token);
    expect((await put(h.token(['auditor', 'operator']), { latencyMs: 400 }).expect(403)).body.reason).toBe('ROLE_REQUIRED');
    const docomoIntegrator = `Bearer ${h.keys.operatorToken('dai', ['integrator'], { carrier: 'docomo' })}`;
    expect((await put(docomoIntegrator, { latencyMs: 400 }).expect(403)).body.reason).toBe('CARRIER_SCOPE');
    expect((await put(integrator, { latencyMs: 400 }, 'rakuten').expect(400)).body.reason).toBe('CARRIER_UNKNOWN');
    await put(integrator, {}).expect(400);
    await put(integrator, { lossRate: 2 }).expect(400);
    expect((await h.http.get('/ota-bearer/docomo').set('authorization', h.token(['auditor'])).expect(200)).body).toEqual({ carrier: 'docomo', latencyMs: 0, lossRate: 0, degraded: false });

    expect((await put(integrator, { latencyMs: 400 }).expect(200)).body).toEqual({ carrier: 'docomo', latencyMs: 400, lossRate: 0, degraded: true });
    const slow = Date.now();
    expect((await h.script('docomo', sim, [buildSelect()])).responses.map(swOf)).toEqual(['9000']);
    expect(Date.now() - slow).toBeGreaterThanOrEqual(400);

    expect((await h.http.delete('/ota-bearer/docomo').set('authorization', integrator).expect(200)).body).toEqual({ carrier: 'docomo', latencyMs: 0, lossRate: 0, degraded: false });
    const audited = await h.ds.query(`SELECT actor, action, details->>'latencyMs' AS latency FROM audit_log WHERE action LIKE 'ota-bearer.%' ORDER BY id`);
    expect(audited).toEqual([
      { actor: 'ivy', action: 'ota-bearer.degrade', latency: '400' },
      { actor: 'ivy', action: 'ota-bearer.restore', latency: '0' },
    ]);
  });

  it("audits each operator call the authentication refuses, once, and changes nothing else: another carrier's token (403), no token (401)", async () => {
    const sim = newIccid('docomo');
    await h.manufacture('docomo', sim, randomIsdKeys());
    const card = () => h.ds.query(`SELECT handset_on, revision, state_token, power_changed_at FROM sim WHERE seid = $1`, [sim]);
    const audited = async () => (await h.ds.query(`SELECT count(*)::int AS n FROM audit_log`))[0].n as number;
    const before = { card: await card(), audited: await audited() };
    const kddi = h.keys.operatorToken('kei', ['operator'], { carrier: 'kddi' });
    const switchOff = () => h.http.put(`/sims/${sim}/handset`).send({ power: 'off' });

    expect((await switchOff().set('authorization', `Bearer ${kddi}`).expect(403)).body.reason).toBe('CARRIER_SCOPE');
    expect((await switchOff().expect(401)).body.reason).toBe('AUTH_REQUIRED');

    const refused = await h.ds.query(`SELECT actor, action, seid, details FROM audit_log WHERE seid = $1 ORDER BY id`, [sim]);
    const call = { action: 'PUT /sims/:seid/handset', method: 'PUT', path: `/sims/${sim}/handset` };
    expect(refused).toEqual([
      { actor: 'kei', action: 'operator-call.refused', seid: sim, details: { ...call, status: 403, reason: 'CARRIER_SCOPE', carrier: 'kddi', roles: ['operator'] } },
      { actor: 'anonymous', action: 'operator-call.refused', seid: sim, details: { ...call, status: 401, reason: 'AUTH_REQUIRED', claimedSubject: null, roles: [] } },
    ]);
    expect(JSON.stringify(refused)).not.toContain(kddi.split('.')[2]); // never the token
    expect(await card()).toEqual(before.card);
    expect(await audited()).toBe(before.audited + 2);
  });

  it("accepts scripts only from the carrier's own MNO-TSM, signed, for its own SIMs", async () => {
    const before = (await h.sealedImage(iccid)).revision;
    const script = (carrier: 'docomo' | 'kddi') => ({
      scriptId: `auth-${randomUUID()}`,
      carrier,
      iccid,
      apdus: [buildSelect(JpkiAid.DEFAULT_INSTANCE).toString(), buildVerify('0000').toString()],
    });
    const cases: [Promise<Envelope>, string][] = [
      [h.send(OtaScriptRequested, script('docomo'), { signing: 'none' }), 'PRODUCER_SIGNATURE_INVALID'],
      [h.send(OtaScriptRequested, script('docomo'), { signing: 'rogue' }), 'PRODUCER_SIGNATURE_INVALID'],
      [h.send(OtaScriptRequested, script('docomo'), { producer: 'mno-tsm-kddi' }), 'PRODUCER_NOT_AUTHORIZED'],
      [h.send(OtaScriptRequested, script('docomo'), { producer: 'sp-tsm', signing: 'rogue' }), 'PRODUCER_NOT_AUTHORIZED'],
      [h.send(OtaScriptRequested, script('kddi'), { topicCarrier: 'docomo', producer: 'mno-tsm-docomo' }), 'CARRIER_MISMATCH'],
      [h.send(OtaScriptRequested, script('kddi')), 'SIM_CARRIER_MISMATCH'],
      [
        h.send(SimManufactureRequested, h.manufactureRequest('docomo', newIccid('docomo'), isdKeys), { signing: 'rogue' }),
        'PRODUCER_SIGNATURE_INVALID',
      ],
    ];
    for (const [sent, reason] of cases) {
      const envelope = await sent;
      expect([reason, (await h.deadLetter(envelope.messageId)).headers['x-failure-reason']]).toEqual([reason, reason]);
    }
    const unknown = await h.script('docomo', newIccid('docomo'), [buildSelect()]);
    expect(unknown).toMatchObject({ outcome: 'unknown-sim', responses: [] });
    expect((await h.sealedImage(iccid)).revision).toBe(before);
    const scripts = await h.ds.query(`SELECT count(*)::int AS n FROM ota_script WHERE script_id LIKE 'auth-%'`);
    expect(scripts[0].n).toBe(0);
  });

  it('reloads a card another replica touched: persistent state kept, transient state (secure channel, channels) reset', async () => {
    const getStatus = buildGetStatus(GetStatusScope.APPLICATIONS);
    const isd = await plannedSessionOverOta(h, { carrier: 'docomo', iccid }, ISD_AID, isdKeys, [getStatus, getStatus], 0x01);
    const [select, initializeUpdate, externalAuthenticate, before, after] = isd.apdus;
    expect((await h.script('docomo', iccid, [select, initializeUpdate, externalAuthenticate, before])).responses.map(swOf)).toEqual(['9000', '9000', '9000', '9000']);
    const ch = (await phone.open(JPKI).expect(201)).body.channel;
    // What another replica's transaction leaves behind: a state token this process did not write.
    await h.ds.query(`UPDATE sim SET state_token = gen_random_uuid() WHERE seid = $1`, [iccid]);
    expect((await h.script('docomo', iccid, [after])).responses.map(swOf)).toEqual(['6982']);
    expect((await transmit(ch, buildVerify().toString()).expect(404)).body.reason).toBe('CHANNEL_NOT_OPEN');
    expect((await summary()).openChannels).toEqual([]);
  });

  it('keeps every card across a restart; transient state (the OTA secure channel) is reset as on a real card', async () => {
    const ssd = await plannedSessionOverOta(h, { carrier: 'docomo', iccid }, SSD_AID, tempKeys, [buildGetStatus(GetStatusScope.APPLICATIONS)], 0x01);
    const [select, initializeUpdate, externalAuthenticate, status] = ssd.apdus;
    expect((await h.script('docomo', iccid, [select, initializeUpdate, externalAuthenticate])).responses.map(swOf)).toEqual(['9000', '9000', '9000']);
    const before = await summary();

    await h.stopApp();
    await h.startApp();

    const after = await summary();
    expect({ ...after, updatedAt: undefined }).toEqual({ ...before, updatedAt: undefined });
    expect(after.card.registry.map((e: { aid: string }) => e.aid)).toEqual(expect.arrayContaining([hex(SSD_AID), JPKI]));
    const ch = (await phone.open(JPKI).expect(201)).body.channel;
    expect((await transmit(ch, buildVerify().toString()).expect(200)).body.sw).toBe(`63C${pinTries}`);

    const stale = await h.script('docomo', iccid, [buildSelect(SSD_AID), status]);
    expect(stale.responses.map(swOf)).toEqual(['9000', '6982']);
    const docs = await h.http.get('/docs-json').expect(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/sims/{seid}/channels', '/sims/{seid}/channels/{channel}/transmit', '/sims/{seid}/channels/{channel}', '/sims/{seid}/handset', '/sims/{seid}']),
    );
  });
});
