import { randomUUID } from 'node:crypto';
import { buildChangeReferenceData, buildSelect, buildVerify, hex, JpkiAid } from '@jpki/globalplatform';
import { OtaScriptRequested, SE_TSM, SimManufactured, SimManufactureRequested, SimReachable, Topics, type Envelope } from '@jpki/contracts';
import { waitUntil } from '@jpki/testing';
import {
  createSsdCommands,
  installJpkiCommand,
  inSessionOverOta,
  ISD_AID,
  MNO,
  newEseSeid,
  newIccid,
  randomIsdKeys,
  SSD_AID,
  swOf,
  VsimHarness,
  type PhoneUnderTest,
} from './test/vsim-harness';

const JPKI = hex(JpkiAid.DEFAULT_INSTANCE);
/** INITIALIZE UPDATE for KVN 30 with a fixed host challenge: the card answers KDD(10) ‖ key info(3) ‖ … */
const INITIALIZE_UPDATE = '8050300008' + '01'.repeat(8) + '00';

describe('vsim hosts embedded SEs beside SIMs, over the real broker and database', () => {
  let h: VsimHarness;
  const seid = newEseSeid();
  const isdKeys = randomIsdKeys();
  const tempKeys = randomIsdKeys();
  let phone: PhoneUnderTest;

  beforeAll(async () => {
    h = await VsimHarness.start();
  });

  afterAll(async () => {
    await h?.close();
  });

  const eseUp = () => h.topic(Topics.otaEseUp.name);
  /** vsim's answer to a request, with the topic it travelled on. */
  const answer = async (requestMessageId: string) => {
    const found = await h.watcher.waitFor((m) => m.value?.includes(requestMessageId) === true && m.json<Envelope>().causationId === requestMessageId);
    return { topic: found.topic, envelope: found.json<Envelope>() };
  };
  const reasonOf = async (sent: Promise<Envelope>) => (await h.deadLetter((await sent).messageId)).headers['x-failure-reason'];
  const stored = (id: string) => h.ds.query(`SELECT kind, carrier, generation, revision FROM sim WHERE seid = $1`, [id]);
  const summary = async () => (await h.http.get(`/sims/${seid}`).set('authorization', h.token(['auditor'])).expect(200)).body;

  it('manufactures an eSE from the SE-management TSM over ota.ese.down and confirms it on ota.ese.up, once per SEID', async () => {
    const request = await h.send(SimManufactureRequested, h.eseManufactureRequest(seid, isdKeys));
    const made = await answer(request.messageId);
    expect(made.topic).toBe(eseUp());
    expect(made.envelope).toMatchObject({ type: SimManufactured.type, producer: 'vsim', payload: { seid, isdAid: hex(ISD_AID) } });
    expect(made.envelope.payload).not.toHaveProperty('carrier');
    expect(await stored(seid)).toEqual([{ kind: 'ese', carrier: null, generation: 'pixel-ese-1', revision: 0 }]);

    const again = await answer((await h.send(SimManufactureRequested, h.eseManufactureRequest(seid, isdKeys))).messageId);
    expect(again.envelope.payload).toEqual(made.envelope.payload);
    expect(await reasonOf(h.send(SimManufactureRequested, h.eseManufactureRequest(seid, isdKeys, 'other-model')))).toBe('SEID_CONFLICT');

    // The keyset is sealed to one SEID: another eSE's box does not open.
    const other = newEseSeid();
    const wrongBox = { ...h.eseManufactureRequest(other, isdKeys), isdKeyset: h.sealedIsdKeyset(seid, isdKeys) };
    expect(await reasonOf(h.send(SimManufactureRequested, wrongBox))).toBe('ISD_KEYSET_UNSEALABLE');
    expect(await stored(other)).toEqual([]);

    expect(await summary()).toMatchObject({ seid, kind: 'ese', carrier: null, generation: 'pixel-ese-1', handset: { power: 'on', imei: null } });
    const docomoAuditor = `Bearer ${h.keys.operatorToken('dan', ['auditor'], { carrier: 'docomo' })}`;
    expect((await h.http.get(`/sims/${seid}`).set('authorization', docomoAuditor).expect(403)).body.reason).toBe('CARRIER_SCOPE');
  });

  it("opens SCP03 with the eSE's ISD keys over ota.ese.down, the card answering on ota.ese.up; its KDD is the SEID", async () => {
    const raw = await h.scriptTo({ seid }, [buildSelect(ISD_AID), Buffer.from(INITIALIZE_UPDATE, 'hex')]);
    expect(raw.responses.map(swOf)).toEqual(['9000', '9000']);
    expect(raw.responses[1].slice(0, 20).toUpperCase()).toBe(seid);
    expect((await answer(raw.messageId)).topic).toBe(eseUp());

    const created = createSsdCommands(isdKeys, tempKeys);
    const { sws } = await inSessionOverOta(h, { seid }, ISD_AID, isdKeys, created);
    expect(sws).toEqual(created.map(() => 0x9000));
    const installed = await inSessionOverOta(h, { seid }, SSD_AID, tempKeys, [installJpkiCommand()], 0x01);
    expect(installed.sws).toEqual([0x9000]);
    const registry = (await summary()).card.registry;
    expect(registry.find((e: { aid: string }) => e.aid === JPKI)).toMatchObject({ kind: 'APP', associatedSd: hex(SSD_AID) });
    expect(await h.ds.query(`SELECT DISTINCT carrier FROM ota_script WHERE seid = $1`, [seid])).toEqual([{ carrier: null }]);
  });

  it('gives the phone the JPKI applet of its eSE over the handset channel, by SEID', async () => {
    phone = await h.insertSim(seid);
    const opened = await phone.open(JPKI).expect(201);
    expect(opened.body).toEqual({ channel: 1, selectResponse: '9000' });
    expect((await phone.transmit(1, buildVerify().toString()).expect(200)).body.sw).toBe('6984');
    expect((await phone.transmit(1, buildChangeReferenceData('1234').toString()).expect(200)).body.sw).toBe('9000');
    expect((await phone.transmit(1, buildVerify('1234').toString()).expect(200)).body.sw).toBe('9000');
    expect((await phone.open(hex(ISD_AID)).expect(403)).body.reason).toBe('ACCESS_DENIED_BY_ARA');
    expect((await phone.transmit(1, '00200081', 'E50102030405060708ab').expect(400)).body.reason).toBe('SEID_INVALID');
    expect((await phone.transmit(1, '00200081', newEseSeid()).expect(404)).body.reason).toBe('SIM_NOT_FOUND');
    await phone.close(1).expect(204);
    expect((await summary()).handset).toMatchObject({ power: 'on', imei: phone.handset.imei });
  });

  it('switches the handset off and on: unreachable while off, reachable on ota.ese.up with the SEID after', async () => {
    const docomoOperator = `Bearer ${h.keys.operatorToken('dora', ['operator'], { carrier: 'docomo' })}`;
    const power = (body: object, token = h.token(['integrator'], 'ian')) => h.http.put(`/sims/${seid}/handset`).send(body).set('authorization', token);
    expect((await power({ power: 'off' }, docomoOperator).expect(403)).body.reason).toBe('CARRIER_SCOPE');
    expect((await power({ power: 'off' }).expect(200)).body).toMatchObject({ seid, carrier: null, power: 'off', changed: true });
    const revision = (await h.sealedImage(seid)).revision;
    const unreachable = await h.scriptTo({ seid }, [buildSelect(JpkiAid.DEFAULT_INSTANCE)]);
    expect(unreachable).toMatchObject({ seid, outcome: 'unreachable', responses: [] });
    expect((await h.sealedImage(seid)).revision).toBe(revision);

    await power({ power: 'on' }).expect(200);
    const reachable = await h.watcher.waitFor((m) => m.topic === eseUp() && m.json<Envelope>().type === SimReachable.type && m.value!.includes(seid));
    expect(reachable.json<Envelope>().payload).toEqual({ seid, at: expect.any(String) });
    const audit = await h.ds.query(`SELECT actor, action, details->>'reason' AS reason FROM audit_log WHERE seid = $1 AND action <> 'sim.inspect' ORDER BY id`, [seid]);
    expect(audit).toEqual([
      { actor: 'dan', action: 'operator-call.refused', reason: 'CARRIER_SCOPE' },
      { actor: 'tester', action: 'handset.bind', reason: null },
      { actor: 'dora', action: 'operator-call.refused', reason: 'CARRIER_SCOPE' },
      { actor: 'ian', action: 'handset.power-off', reason: null },
      { actor: 'ian', action: 'handset.power-on', reason: null },
    ]);
  });

  it('answers unknown-sim on ota.ese.up for an eSE it does not hold', async () => {
    const unknown = newEseSeid();
    const done = await h.scriptTo({ seid: unknown }, [buildSelect()]);
    expect(done).toMatchObject({ seid: unknown, outcome: 'unknown-sim', responses: [] });
    expect((await answer(done.messageId)).topic).toBe(eseUp());
  });

  it('runs the eSE push channel as the bearer `ese` (80 ms, no loss by default), degraded and restored by an integrator', async () => {
    const integrator = h.token(['integrator'], 'ivy');
    const configured = { carrier: 'ese', latencyMs: 80, lossRate: 0, degraded: false };
    expect((await h.http.get('/ota-bearer/ese').set('authorization', h.token(['auditor'])).expect(200)).body).toEqual(configured);
    expect((await h.http.put('/ota-bearer/ese').send({ latencyMs: 400 }).set('authorization', integrator).expect(200)).body).toEqual({ ...configured, latencyMs: 400, degraded: true });
    const started = Date.now();
    expect((await h.scriptTo({ seid }, [buildSelect()])).responses.map(swOf)).toEqual(['9000']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);

    await h.http.put('/ota-bearer/ese').send({ latencyMs: 0, lossRate: 1 }).set('authorization', integrator).expect(200);
    const revision = (await h.sealedImage(seid)).revision;
    const lost = await h.send(OtaScriptRequested, { scriptId: `lost-${randomUUID()}`, seid, apdus: [buildSelect().toString()] });
    await waitUntil(async () => (await h.ds.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [lost.messageId])).length === 1, 15_000, 'script consumed');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.repliesTo(lost.messageId)).toEqual([]);
    expect(await h.ds.query(`SELECT 1 FROM ota_script WHERE script_id = $1`, [lost.payload.scriptId])).toEqual([]);
    expect((await h.sealedImage(seid)).revision).toBe(revision);

    expect((await h.http.delete('/ota-bearer/ese').set('authorization', integrator).expect(200)).body).toEqual(configured);
    const audited = await h.ds.query(`SELECT action, details->>'carrier' AS bearer FROM audit_log WHERE action LIKE 'ota-bearer.%' ORDER BY id`);
    expect(audited).toEqual([
      { action: 'ota-bearer.degrade', bearer: 'ese' },
      { action: 'ota-bearer.degrade', bearer: 'ese' },
      { action: 'ota-bearer.restore', bearer: 'ese' },
    ]);
  });

  describe('refuses, changing nothing', () => {
    let cards: number;
    let revision: number;
    const cardCount = async () => (await h.ds.query(`SELECT count(*)::int AS n FROM sim`))[0].n as number;

    beforeEach(async () => {
      cards = await cardCount();
      revision = (await h.sealedImage(seid)).revision;
    });

    afterEach(async () => {
      expect(await cardCount()).toBe(cards);
      expect((await h.sealedImage(seid)).revision).toBe(revision);
    });

    it("an eSE manufacture sent by a carrier's MNO-TSM on ota.ese.down (PRODUCER_NOT_AUTHORIZED)", async () => {
      const forged = newEseSeid();
      expect(await reasonOf(h.send(SimManufactureRequested, h.eseManufactureRequest(forged, randomIsdKeys()), { producer: MNO('docomo') }))).toBe('PRODUCER_NOT_AUTHORIZED');
      expect(await stored(forged)).toEqual([]);
    });

    it('a SIM payload (carrier and ICCID) on ota.ese.down, even from the SE-management TSM (CARRIER_MISMATCH)', async () => {
      const iccid = newIccid('docomo');
      const envelope = h.envelope(SimManufactureRequested, h.manufactureRequest('docomo', iccid, randomIsdKeys()), { producer: SE_TSM });
      await h.sendEnvelope(envelope, Topics.otaEseDown.name, iccid);
      expect((await h.deadLetter(envelope.messageId)).headers['x-failure-reason']).toBe('CARRIER_MISMATCH');
      expect(await stored(iccid)).toEqual([]);
    });

    it("an eSE payload on a carrier's OTA topic, from that carrier's MNO-TSM (CARRIER_MISMATCH)", async () => {
      const forged = newEseSeid();
      const onDocomo = { topicCarrier: 'docomo' as const, producer: MNO('docomo') };
      expect(await reasonOf(h.send(SimManufactureRequested, h.eseManufactureRequest(forged, randomIsdKeys()), onDocomo))).toBe('CARRIER_MISMATCH');
      expect(await reasonOf(h.send(OtaScriptRequested, { scriptId: `forged-${randomUUID()}`, seid, apdus: [INITIALIZE_UPDATE] }, onDocomo))).toBe('CARRIER_MISMATCH');
      expect(await stored(forged)).toEqual([]);
    });

    it('a SEID in lower case or in another form, and an eSE SEID as a SIM ICCID (PAYLOAD_INVALID)', async () => {
      const lower = newEseSeid().toLowerCase();
      const forms = [lower, `E5${'0A'.repeat(8)}`, `F5${'0A'.repeat(9)}`];
      for (const bad of forms) {
        expect([bad, await reasonOf(h.send(SimManufactureRequested, h.eseManufactureRequest(bad, randomIsdKeys())))]).toEqual([bad, 'PAYLOAD_INVALID']);
      }
      const asIccid = { scriptId: `forged-${randomUUID()}`, carrier: 'docomo' as const, iccid: seid, apdus: [INITIALIZE_UPDATE] };
      expect(await reasonOf(h.send(OtaScriptRequested, asIccid))).toBe('PAYLOAD_INVALID');
      expect(await stored(lower.toUpperCase())).toEqual([]);
      expect(await h.ds.query(`SELECT 1 FROM ota_script WHERE script_id LIKE 'forged-%'`)).toEqual([]);
    });
  });
});
