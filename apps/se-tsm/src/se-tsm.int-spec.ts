import { randomUUID } from 'node:crypto';
import { EligibilityAnswered, EligibilityRequested, Headers, SsdCreationRequested, Topics, type PayloadOf } from '@jpki/contracts';
import { waitUntil } from '@jpki/testing';
import { SeTsmUnderTest } from './test/se-harness';

const JPKI_APPLET = { aid: 'D392F000260100000101', requiredMemoryBytes: 20_000 };
const SSD = 'A0000005591010FFFFFFFF8900000100';

describe('se-tsm: eSE fleet, operator API, eligibility by SEID, command authentication (real broker and DB, test vsim)', () => {
  const se = new SeTsmUnderTest();

  beforeAll(() => se.start(), 60_000);
  afterAll(() => se.stop());

  const audited = (actor: string) => se.ds.query(`SELECT action, target, outcome FROM operator_audit WHERE actor = $1 ORDER BY id`, [actor]);
  const eligibility = async (seid: string, applet = JPKI_APPLET) => {
    const requestId = `elig-${randomUUID()}`;
    await se.send(EligibilityRequested, { requestId, seid, applet });
    return (await se.reply(requestId, EligibilityAnswered.type)).payload as PayloadOf<typeof EligibilityAnswered>;
  };

  describe('operator API', () => {
    it('manufactures an eSE: an E5 SEID, the ISD keyset sealed to the vsim and diversified with the SEID as KDD, active once the vsim reports it', async () => {
      const res = await se.http().post('/secure-elements').set('authorization', se.token(['integrator'], 'ivan@integrator')).send({ model: 'kumo-5g' }).expect(201);
      const seid: string = res.body.seid;
      expect(seid).toMatch(/^E5[0-9A-F]{18}$/);
      expect(res.body).toMatchObject({ model: 'kumo-5g', state: 'manufacturing', isdAid: 'A000000151000000', isdKvn: 0x30, memoryQuotaBytes: 128 * 1024, activatedAt: null });
      const manufacture = await se.watcher.waitFor((m) => m.topic === se.otaDown && m.key === seid);
      expect(manufacture.json()).toMatchObject({ type: 'ota.sim.manufacture-requested', producer: 'se-tsm', payload: { seid, generation: 'kumo-5g', memoryQuotaBytes: 128 * 1024 } });
      expect(manufacture.json<{ payload: Record<string, unknown> }>().payload).not.toHaveProperty('carrier');
      expect(JSON.stringify(manufacture.json())).not.toMatch(/"enc"|"mac"|"dek"/);

      const read = async () => (await se.http().get(`/secure-elements/${seid}`).set('authorization', se.token(['auditor'])).expect(200)).body;
      const active = await waitUntil(async () => ((await read()).state === 'active' ? read() : undefined), 20_000, `${seid} active`);
      expect(active).toMatchObject({ seid, state: 'active', activatedAt: expect.any(String) });
      // The card the vsim made reports the SEID as its KDD, and holds the keyset se-tsm derives from it.
      expect(se.responder.cards.get(seid)!.toImage().kdd).toBe(seid);
      expect(await audited('ivan@integrator')).toEqual([{ action: 'secure-element.manufacture', target: seid, outcome: 'ok' }]);
    });

    it('lists eSEs newest first, a page at a time', async () => {
      const made = [await se.secureElement('sakura-lite'), await se.secureElement('sakura-lite'), await se.secureElement('sakura-lite')];
      const auth = se.token(['auditor'], 'pat@audit');
      const first = (await se.http().get('/secure-elements').query({ model: 'sakura-lite', limit: 2 }).set('authorization', auth).expect(200)).body;
      expect(first.items.map((i: { seid: string }) => i.seid)).toEqual([made[2], made[1]]);
      expect(first.next).toBe(made[1]);
      const second = (await se.http().get('/secure-elements').query({ model: 'sakura-lite', limit: 2, after: first.next }).set('authorization', auth).expect(200)).body;
      expect(second).toEqual({ items: [expect.objectContaining({ seid: made[0], model: 'sakura-lite', state: 'active' })], next: null });
      expect((await audited('pat@audit')).map((a: { action: string }) => a.action)).toEqual(['secure-element.list', 'secure-element.list']);
    });

    it('refuses an unknown handset model and a malformed SEID with 400 and their reasons, audited; an unknown eSE with 404', async () => {
      const auth = se.token(['operator'], 'bob@platform');
      const model = await se.http().post('/secure-elements').set('authorization', auth).send({ model: 'nokia-3310' }).expect(400);
      expect(model.body).toMatchObject({ reason: 'HANDSET_MODEL_UNKNOWN', details: { known: ['kumo-5g', 'sakura-lite', 'tsubame-2019'] } });
      const shape = await se.http().post('/secure-elements').set('authorization', auth).send({ model: 'kumo-5g', seid: 'E5AAAAAAAAAAAAAAAAAA' }).expect(400);
      expect(shape.body.reason).toBe('VALIDATION_FAILED');
      for (const bad of ['8981100000000000001', 'E50102030405060708ab', 'E5010203']) {
        expect((await se.http().get(`/secure-elements/${bad}`).set('authorization', auth).expect(400)).body.reason).toBe('SEID_MALFORMED');
      }
      expect((await se.http().get('/secure-elements/E5FFFFFFFFFFFFFFFFFF').set('authorization', auth).expect(404)).body.reason).toBe('SE_UNKNOWN');
      expect((await audited('bob@platform')).map((a: { outcome: string }) => a.outcome)).toEqual([
        'refused:HANDSET_MODEL_UNKNOWN',
        'refused:SEID_MALFORMED',
        'refused:SEID_MALFORMED',
        'refused:SEID_MALFORMED',
        'refused:SE_UNKNOWN',
      ]);
      expect(await se.ds.query(`SELECT 1 FROM secure_element WHERE model = 'nokia-3310'`)).toHaveLength(0);
    });

    it('refuses without a token (401), without the role (403 ROLE_REQUIRED) and to a carrier’s operator (403 CARRIER_SCOPE), each audited under its route', async () => {
      expect((await se.http().post('/secure-elements').send({ model: 'kumo-5g' }).expect(401)).body.reason).toBe('AUTH_REQUIRED');
      const auditor = await se.http().post('/secure-elements').set('authorization', se.token(['auditor'], 'carol@audit')).send({ model: 'kumo-5g' }).expect(403);
      expect(auditor.body.reason).toBe('ROLE_REQUIRED');
      const docomo = `Bearer ${se.keys.operatorToken('daichi@docomo', ['operator'], { carrier: 'docomo' })}`;
      expect((await se.http().get('/secure-elements').set('authorization', docomo).expect(403)).body.reason).toBe('CARRIER_SCOPE');
      const otherService = `Bearer ${se.keys.operatorToken('mallory@platform', ['operator'], { audience: ['mno-tsm-docomo'] })}`;
      expect((await se.http().get('/secure-elements').set('authorization', otherService).expect(401)).body.reason).toBe('TOKEN_AUDIENCE');
      const rows = await se.ds.query(`SELECT actor, action, outcome FROM operator_audit WHERE outcome LIKE 'refused:%' AND actor <> 'bob@platform' ORDER BY id`);
      expect(rows).toEqual([
        { actor: 'anonymous', action: 'POST /secure-elements', outcome: 'refused:AUTH_REQUIRED' },
        { actor: 'carol@audit', action: 'POST /secure-elements', outcome: 'refused:ROLE_REQUIRED' },
        { actor: 'daichi@docomo', action: 'GET /secure-elements', outcome: 'refused:CARRIER_SCOPE' },
        { actor: 'anonymous', action: 'GET /secure-elements', outcome: 'refused:TOKEN_AUDIENCE' },
      ]);
      expect(await se.ds.query(`SELECT 1 FROM secure_element WHERE state = 'manufacturing'`)).toHaveLength(0);
    });

    it('serves readiness, metrics and an OpenAPI document of the operator API', async () => {
      const ready = await se.http().get('/health/ready').expect(200);
      expect(ready.body.checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'up' }, consumers: { status: 'up' } });
      expect((await se.http().get('/metrics').expect(200)).text).toContain('saga_steps_total');
      const docs = await se.http().get('/docs-json').expect(200);
      expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/secure-elements', '/secure-elements/{seid}', '/audit-log']));
    });
  });

  describe('eligibility by SEID', () => {
    it('answers eligible with the free memory the eSE reports and the SCP03 profile', async () => {
      const seid = await se.secureElement();
      const answer = await eligibility(seid);
      expect(answer).toMatchObject({ seid, eligible: true, model: 'kumo-5g', maxApduDataBytes: 255, scp03KeyBytes: 16, scp03SMode: 8 });
      expect(answer.freeMemoryBytes).toBeGreaterThan(100_000);
      expect(answer.freeMemoryBytes).toBeLessThan(128 * 1024);
      expect(se.responder.received.some((s) => s.apdus.some((a) => a.toUpperCase().startsWith('80CAFF21')))).toBe(true);
      const [row] = await se.ds.query(`SELECT free_memory_bytes, isd_sequence_counter FROM secure_element WHERE seid = $1`, [seid]);
      expect(row).toEqual({ free_memory_bytes: answer.freeMemoryBytes, isd_sequence_counter: expect.any(Number) });
    });

    it('refuses MODEL_UNSUPPORTED, SE_UNKNOWN, SE_NOT_ACTIVE and INSUFFICIENT_MEMORY', async () => {
      const legacy = await se.secureElement('tsubame-2019');
      expect(await eligibility(legacy)).toMatchObject({ eligible: false, reason: 'MODEL_UNSUPPORTED', model: 'tsubame-2019' });
      expect(await eligibility('E5FFFFFFFFFFFFFFFFFE')).toMatchObject({ eligible: false, reason: 'SE_UNKNOWN' });
      const retired = await se.secureElement();
      await se.ds.query(`UPDATE secure_element SET state = 'retired' WHERE seid = $1`, [retired]);
      expect(await eligibility(retired)).toMatchObject({ eligible: false, reason: 'SE_NOT_ACTIVE', model: 'kumo-5g' });
      const small = await se.secureElement('sakura-lite');
      const answer = await eligibility(small, { ...JPKI_APPLET, requiredMemoryBytes: 100_000 });
      expect(answer).toMatchObject({ eligible: false, reason: 'INSUFFICIENT_MEMORY' });
      expect(answer.freeMemoryBytes).toBeLessThan(64 * 1024);
    });
  });

  describe('commands from anything but the SP-TSM, or for a SIM', () => {
    const ssdCreation = { ssdAid: SSD, keysetRecipient: 'sp-tsm' };

    const unchanged = async (requestId: string, seid?: string) => {
      expect(await se.ds.query(`SELECT 1 FROM tsm_operation WHERE request_id = $1`, [requestId])).toHaveLength(0);
      if (seid) expect(await se.ds.query(`SELECT 1 FROM ssd WHERE iccid = $1`, [seid])).toHaveLength(0);
      expect(se.watcher.messages.some((m) => m.topic === se.events && m.value?.includes(requestId))).toBe(false);
      expect(se.responder.received.some((s) => s.scriptId.includes(requestId))).toBe(false);
    };

    it.each([
      ['lifecycle', 'PRODUCER_NOT_AUTHORIZED'],
      ['unsigned', 'PRODUCER_SIGNATURE_INVALID'],
      ['forged-sp-tsm', 'PRODUCER_SIGNATURE_INVALID'],
    ] as const)('dead-letters an eSE command sent as %s (%s) and changes nothing', async (as, reason) => {
      const seid = await se.secureElement();
      const payload = { requestId: `rogue-${as}-${randomUUID()}`, seid, ...ssdCreation };
      const messageId = await se.send(SsdCreationRequested, payload, as);
      const dead = await se.watcher.waitFor((m) => m.topic === se.commandsDlq && m.headers[Headers.messageId] === messageId, 20_000, 'dead letter');
      expect(dead.headers[Headers.failureReason]).toBe(reason);
      await unchanged(payload.requestId, seid);
    });

    it('dead-letters a command for a carrier’s SIM sent on se.commands (CARRIER_MISMATCH) and changes nothing', async () => {
      const payload = { requestId: `sim-${randomUUID()}`, carrier: 'docomo' as const, iccid: '8981100000000000001', ...ssdCreation };
      const messageId = await se.send(SsdCreationRequested, payload, 'sp-tsm', Topics.seCommands.name);
      const dead = await se.watcher.waitFor((m) => m.topic === se.commandsDlq && m.headers[Headers.messageId] === messageId, 20_000, 'dead letter');
      expect(dead.headers[Headers.failureReason]).toBe('CARRIER_MISMATCH');
      await unchanged(payload.requestId);
    });
  });
});
