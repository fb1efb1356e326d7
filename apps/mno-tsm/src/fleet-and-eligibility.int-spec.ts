import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EligibilityAnswered, EligibilityRequested, Headers, SsdCreationRequested, Topics, type MvnoId, type PayloadOf } from '@jpki/contracts';
import { statementsDuring, statementsWithoutIndex, waitUntil } from '@jpki/testing';
import { runCli } from './cli';
import { imei, MnoTsmUnderTest } from './test/mno-harness';

const JPKI_APPLET = { aid: 'D392F000260100000101', requiredMemoryBytes: 20_000 };

describe('mno-tsm-docomo: fleet, operator API, notifications, command authentication, eligibility (real broker and DB)', () => {
  const mno = new MnoTsmUnderTest('docomo');

  beforeAll(() => mno.start(), 60_000);
  afterAll(() => mno.stop());

  const eligibility = async (msisdn: string, mvno?: MvnoId, applet = JPKI_APPLET) => {
    const requestId = `elig-${randomUUID()}`;
    await mno.send(EligibilityRequested, { requestId, carrier: 'docomo', msisdn, ...(mvno ? { mvno } : {}), applet });
    return (await mno.reply(requestId, EligibilityAnswered.type)).payload as PayloadOf<typeof EligibilityAnswered>;
  };

  describe('operator API', () => {
    it('refuses a call without a token (401) and a write by an auditor (403)', async () => {
      const none = await mno.http().post('/subscribers').send({}).expect(401);
      expect(none.body.reason).toBe('AUTH_REQUIRED');
      const bad = await mno.http().get('/subscribers').set('authorization', 'Bearer not.a.token').expect(401);
      expect(bad.body.reason).toBe('AUTH_INVALID');
      const auditor = await mno.http().post('/subscribers').set('authorization', mno.token(['auditor'], 'carol@audit')).send({}).expect(403);
      expect(auditor.body.reason).toBe('ROLE_REQUIRED');
      await mno.http().get('/subscribers').set('authorization', mno.token(['auditor'])).expect(200);
    });

    it('creates a subscriber with a new SIM: Luhn ICCID with the carrier prefix, manufactured by the vsim, then active', async () => {
      const res = await mno.http().post('/subscribers').set('authorization', mno.token(['integrator'], 'ivan@integrator')).send({ mvno: 'iijmio' }).expect(201);
      expect(res.body).toMatchObject({ status: 'provisioning', mvno: 'iijmio', sim: { state: 'manufacturing', generation: 'docomo-uim-5g' } });
      expect(res.body.iccid).toMatch(/^898110\d{13}$/);
      const manufacture = await mno.watcher.waitFor((m) => m.topic === mno.otaDown && m.key === res.body.iccid);
      expect(manufacture.json()).toMatchObject({ type: 'ota.sim.manufacture-requested', producer: 'mno-tsm-docomo', payload: { memoryQuotaBytes: 96 * 1024 } });
      expect(JSON.stringify(manufacture.json())).not.toMatch(/"enc"|"mac"|"dek"/);
      await mno.waitStatus(res.body.msisdn, 'active');
      const view = await mno.http().get(`/subscribers/${encodeURIComponent(res.body.msisdn)}`).set('authorization', mno.token(['operator'])).expect(200);
      expect(view.body).toMatchObject({ status: 'active', sim: { state: 'active' } });
      // The card really holds the keyset the MNO derives from its master key and the ICCID.
      expect(mno.responder.cards.get(res.body.iccid)).toBeDefined();
      const audit = await mno.http().get('/audit-log').query({ actor: 'ivan@integrator' }).set('authorization', mno.token(['auditor'])).expect(200);
      expect(audit.body[0]).toMatchObject({ actor: 'ivan@integrator', roles: ['integrator'], action: 'subscriber.create', target: res.body.msisdn, outcome: 'ok' });
      expect(audit.body[0].details.iccid).toBe(res.body.iccid);
    });

    it('every statement of a subscriber’s creation, its SIM’s activation, the operator reads of it and an eligibility answer is served by an index', async () => {
      const statements = await statementsDuring(async () => {
        const { msisdn, iccid } = await mno.subscriber();
        const read = (path: string) => mno.http().get(path).set('authorization', mno.token(['operator'])).expect(200);
        await read(`/subscribers/${encodeURIComponent(msisdn)}`);
        await read(`/sims/${iccid}`);
        await read(`/operations?iccid=${iccid}`);
        await read('/audit-log?actor=alice@ops&limit=5');
        await read(`/audit-log?target=${encodeURIComponent(msisdn)}&limit=5`);
        await read('/subscribers?status=active&mvno=iijmio&limit=5');
        await read('/operations?limit=5');
        expect(await eligibility(msisdn)).toMatchObject({ eligible: true });
      });
      expect(statements.length).toBeGreaterThan(10);
      expect(await statementsWithoutIndex(String(mno.ds.driver.schema), statements)).toEqual([]);
    });

    it('validates input and audits refusals (an MVNO of another host, an unknown generation)', async () => {
      const other = await mno.http().post('/subscribers').set('authorization', mno.token(['operator'], 'bob@ops')).send({ mvno: 'mineo' }).expect(422);
      expect(other.body.reason).toBe('MVNO_NOT_HOSTED');
      const gen = await mno.http().post('/subscribers').set('authorization', mno.token(['operator'], 'bob@ops')).send({ generation: 'nokia-3310' }).expect(422);
      expect(gen.body.reason).toBe('SIM_GENERATION_UNKNOWN');
      await mno.http().post('/subscribers').set('authorization', mno.token(['operator'])).send({ imei: '123456789012345' }).expect(400);
      const audit = await mno.http().get('/audit-log').query({ actor: 'bob@ops' }).set('authorization', mno.token(['operator'])).expect(200);
      expect(audit.body.map((a: { outcome: string }) => a.outcome)).toEqual(['refused:SIM_GENERATION_UNKNOWN', 'refused:MVNO_NOT_HOSTED']);
    });
  });

  it('seeds subscribers with the CLI through a context file (token from a file) and prints a table, or JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mno-cli-'));
    const url = (await mno.app.getUrl()).replace('[::1]', '127.0.0.1');
    writeFileSync(join(dir, 'operator.jwt'), mno.token(['operator'], 'cli@ops').slice('Bearer '.length), { mode: 0o600 });
    writeFileSync(join(dir, 'context.yaml'), `name: test\nservices:\n  mno-tsm-docomo: ${url}\noperatorToken:\n  tokenFile: operator.jwt\n`);
    writeFileSync(join(dir, 'no-token.yaml'), `name: test\nservices:\n  mno-tsm-docomo: ${url}\noperatorToken:\n  tokenEnv: NO_SUCH_TOKEN\n`);
    try {
      const lines: string[] = [];
      const code = await runCli(['--carrier', 'docomo', '--context', join(dir, 'context.yaml'), 'seed', '--count', '2', '--mvno', 'iijmio', '--wait'], { out: (l) => lines.push(l), env: {}, fetch });
      expect(code).toBe(0);
      expect(lines[0]).toMatch(/^MSISDN\s+ICCID\s+MVNO\s+GENERATION\s+SIM\s+STATUS\s+IMEI$/);
      expect(lines.slice(2)).toHaveLength(2);
      for (const row of lines.slice(2)) expect(row).toMatch(/^\+81[789]0\d{8}\s+898110\d{13}\s+iijmio\s+docomo-uim-5g\s+active\s+active\s+-$/);
      const msisdn = lines[2].split(/\s+/)[0];
      const shown: string[] = [];
      expect(await runCli(['--json', 'show', msisdn], { out: (l) => shown.push(l), env: { JPKI_CONTEXT: join(dir, 'context.yaml') }, fetch })).toBe(0);
      expect(JSON.parse(shown.join('\n'))).toEqual([expect.objectContaining({ msisdn, mvno: 'iijmio', status: 'active' })]);
      const audit = await mno.http().get('/audit-log').query({ actor: 'cli@ops' }).set('authorization', mno.token(['auditor'])).expect(200);
      expect(audit.body.map((a: { action: string }) => a.action)).toContain('subscriber.create');
      const refused: string[] = [];
      expect(await runCli(['--context', join(dir, 'no-token.yaml'), '--json', 'seed'], { out: (l) => refused.push(l), env: {}, fetch }, () => undefined)).toBe(2);
      expect(JSON.parse(refused[0])).toEqual({ error: `${join(dir, 'no-token.yaml')}: no operator token: NO_SUCH_TOKEN is not set`, reason: 'TOKEN_MISSING' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves readiness, metrics and an OpenAPI document of the operator API; reads are audited too', async () => {
    const ready = await mno.http().get('/health/ready').expect(200);
    expect(ready.body.checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'up' }, consumers: { status: 'up' } });
    const metrics = await mno.http().get('/metrics').expect(200);
    expect(metrics.text).toContain('saga_steps_total');
    const docs = await mno.http().get('/docs-json').expect(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/subscribers', '/subscribers/{msisdn}/sim-swap', '/subscribers/{msisdn}/contract-end', '/sims/{iccid}', '/audit-log', '/profile']),
    );
    const profile = await mno.http().get('/profile').set('authorization', mno.token(['auditor'], 'erin@audit')).expect(200);
    expect(profile.body).toMatchObject({ carrier: 'docomo', scp03KeyBytes: 16, mvnos: ['iijmio'], scriptTampering: 'none' });
    expect(JSON.stringify(profile.body)).not.toMatch(/master/i);
    const audit = await mno.http().get('/audit-log').query({ actor: 'erin@audit' }).set('authorization', mno.token(['auditor'])).expect(200);
    expect(audit.body[0]).toMatchObject({ action: 'profile.read', outcome: 'ok', roles: ['auditor'] });
  });

  describe('notifications to the SP-TSM', () => {
    it('publishes SIM swap (when the new SIM exists), MSISDN change, handset change and contract end', async () => {
      const { msisdn, iccid } = await mno.subscriber({ imei: imei('35000000000001') });
      const auth = mno.token(['operator'], 'dave@ops');
      const events = (type: string) => mno.watcher.messages.filter((m) => m.topic === mno.events && m.json<{ type: string }>().type === type).map((m) => m.json<{ payload: Record<string, string> }>().payload);

      const swap = await mno.http().post(`/subscribers/${encodeURIComponent(msisdn)}/sim-swap`).set('authorization', auth).send({}).expect(202);
      const newIccid = swap.body.pendingSimSwap;
      expect(newIccid).toMatch(/^898110/);
      await mno.http().post(`/subscribers/${encodeURIComponent(msisdn)}/sim-swap`).set('authorization', auth).send({}).expect((r) => expect([202, 409]).toContain(r.status));
      await waitUntil(() => events('mno.subscriber.sim-swapped').find((p) => p['msisdn'] === msisdn), 20_000, 'sim-swapped');
      expect(events('mno.subscriber.sim-swapped').find((p) => p['msisdn'] === msisdn)).toMatchObject({ carrier: 'docomo', oldIccid: iccid, newIccid });
      const [oldSim] = await mno.ds.query(`SELECT state FROM sim WHERE iccid = $1`, [iccid]);
      expect(oldSim.state).toBe('retired');

      const changed = await mno.http().post(`/subscribers/${encodeURIComponent(msisdn)}/msisdn-change`).set('authorization', auth).send({}).expect(200);
      const newMsisdn = changed.body.msisdn;
      await waitUntil(() => events('mno.subscriber.msisdn-changed').find((p) => p['oldMsisdn'] === msisdn), 20_000, 'msisdn-changed');
      expect(events('mno.subscriber.msisdn-changed').find((p) => p['oldMsisdn'] === msisdn)).toMatchObject({ msisdn: newMsisdn, iccid: newIccid });

      const newImei = imei('35000000000002');
      await mno.http().post(`/subscribers/${encodeURIComponent(newMsisdn)}/handset-change`).set('authorization', auth).send({ imei: newImei }).expect(200);
      await waitUntil(() => events('mno.subscriber.handset-changed').find((p) => p['msisdn'] === newMsisdn), 20_000, 'handset-changed');
      expect(events('mno.subscriber.handset-changed').find((p) => p['msisdn'] === newMsisdn)).toMatchObject({ imei: newImei, iccid: newIccid });

      await mno.http().post(`/subscribers/${encodeURIComponent(newMsisdn)}/contract-end`).set('authorization', auth).send({ note: 'moved abroad' }).expect(200);
      await waitUntil(() => events('mno.subscriber.contract-ended').find((p) => p['msisdn'] === newMsisdn), 20_000, 'contract-ended');
      const ended = await mno.http().get(`/subscribers/${encodeURIComponent(newMsisdn)}`).set('authorization', auth).expect(200);
      expect(ended.body.status).toBe('cancelled');
      const again = await mno.http().post(`/subscribers/${encodeURIComponent(newMsisdn)}/handset-change`).set('authorization', auth).send({ imei: imei('35000000000003') }).expect(409);
      expect(again.body.reason).toBe('SUBSCRIBER_CANCELLED');

      const audit = await mno.http().get('/audit-log').query({ actor: 'dave@ops' }).set('authorization', auth).expect(200);
      const actions = audit.body.map((a: { action: string; outcome: string }) => `${a.action}:${a.outcome}`);
      expect(actions).toEqual(
        expect.arrayContaining([
          'subscriber.sim-swap:ok',
          'subscriber.msisdn-change:ok',
          'subscriber.handset-change:ok',
          'subscriber.contract-end:ok',
          'subscriber.handset-change:refused:SUBSCRIBER_CANCELLED',
        ]),
      );
    }, 60_000);
  });

  describe('commands from anything but the SP-TSM', () => {
    it.each([
      ['lifecycle', 'PRODUCER_NOT_AUTHORIZED'],
      ['unsigned', 'PRODUCER_SIGNATURE_INVALID'],
      ['forged-sp-tsm', 'PRODUCER_SIGNATURE_INVALID'],
    ] as const)('dead-letters a command sent as %s (%s) and changes nothing', async (as, reason) => {
      const { iccid } = await mno.subscriber();
      const requestId = `rogue-${as}-${randomUUID()}`;
      const messageId = await mno.send(SsdCreationRequested, { requestId, carrier: 'docomo', iccid, ssdAid: 'A0000005591010FFFFFFFF8900000100', keysetRecipient: 'sp-tsm' }, as);
      const dead = await mno.watcher.waitFor((m) => m.topic === mno.commandsDlq && m.headers[Headers.messageId] === messageId, 20_000, 'dead letter');
      expect(dead.headers[Headers.failureReason]).toBe(reason);
      expect(await mno.ds.query(`SELECT 1 FROM tsm_operation WHERE request_id = $1`, [requestId])).toHaveLength(0);
      expect(await mno.ds.query(`SELECT 1 FROM ssd WHERE iccid = $1`, [iccid])).toHaveLength(0);
      expect(mno.watcher.messages.some((m) => m.topic === mno.events && m.value?.includes(requestId))).toBe(false);
      expect(mno.responder.received.some((s) => s.scriptId.includes(requestId))).toBe(false);
    });

    it("dead-letters an SP-TSM command addressed to another carrier's MNO-TSM", async () => {
      const requestId = `wrong-carrier-${randomUUID()}`;
      const payload = { requestId, carrier: 'kddi' as const, msisdn: '+819011112222', applet: JPKI_APPLET };
      const messageId = await mno.send(EligibilityRequested, payload, 'sp-tsm', Topics.mnoCommands.docomo.name);
      const dead = await mno.watcher.waitFor((m) => m.topic === mno.commandsDlq && m.headers[Headers.messageId] === messageId, 20_000, 'dead letter');
      expect(dead.headers[Headers.failureReason]).toBe('CARRIER_MISMATCH');
      expect(await mno.ds.query(`SELECT 1 FROM tsm_operation WHERE request_id = $1`, [requestId])).toHaveLength(0);
    });
  });

  describe('eligibility', () => {
    it('answers eligible with the card-reported free memory and the profile parameters', async () => {
      const { msisdn, iccid } = await mno.subscriber();
      const answer = await eligibility(msisdn);
      expect(answer).toMatchObject({ eligible: true, iccid, simGeneration: 'docomo-uim-5g', maxApduDataBytes: 255, scp03KeyBytes: 16 });
      expect(answer.freeMemoryBytes).toBeGreaterThan(90_000);
      expect(answer.freeMemoryBytes).toBeLessThan(96 * 1024);
    });

    it('refuses with SUBSCRIBER_UNKNOWN', async () => {
      expect(await eligibility('+819099990000')).toMatchObject({ eligible: false, reason: 'SUBSCRIBER_UNKNOWN' });
    });

    it('refuses with SUBSCRIBER_NOT_ACTIVE (suspended)', async () => {
      const { msisdn } = await mno.subscriber();
      await mno.http().post(`/subscribers/${encodeURIComponent(msisdn)}/suspend`).set('authorization', mno.token(['operator'])).send({}).expect(200);
      expect(await eligibility(msisdn)).toMatchObject({ eligible: false, reason: 'SUBSCRIBER_NOT_ACTIVE' });
    });

    it('refuses with SIM_GENERATION_UNSUPPORTED (legacy UIM)', async () => {
      const { msisdn } = await mno.subscriber({ generation: 'docomo-uim-legacy' });
      expect(await eligibility(msisdn)).toMatchObject({ eligible: false, reason: 'SIM_GENERATION_UNSUPPORTED', simGeneration: 'docomo-uim-legacy' });
    });

    it('refuses with INSUFFICIENT_MEMORY, asking the card', async () => {
      const { msisdn } = await mno.subscriber();
      const answer = await eligibility(msisdn, undefined, { ...JPKI_APPLET, requiredMemoryBytes: 200_000 });
      expect(answer).toMatchObject({ eligible: false, reason: 'INSUFFICIENT_MEMORY' });
      expect(answer.freeMemoryBytes).toBeLessThan(200_000);
      expect(mno.responder.received.some((s) => s.apdus.some((a) => a.toUpperCase().startsWith('80CAFF21')))).toBe(true);
    });

    it('refuses with MVNO_MISMATCH: MVNO subscriber asked without its MVNO, carrier subscriber asked as an MVNO, MVNO of another host', async () => {
      const mvnoSub = await mno.subscriber({ mvno: 'iijmio' });
      const plain = await mno.subscriber();
      expect(await eligibility(mvnoSub.msisdn)).toMatchObject({ eligible: false, reason: 'MVNO_MISMATCH' });
      expect(await eligibility(plain.msisdn, 'iijmio')).toMatchObject({ eligible: false, reason: 'MVNO_MISMATCH' });
      expect(await eligibility(mvnoSub.msisdn, 'mineo')).toMatchObject({ eligible: false, reason: 'MVNO_MISMATCH' });
      expect(await eligibility(mvnoSub.msisdn, 'iijmio')).toMatchObject({ eligible: true, mvno: 'iijmio' });
    });

    it('answers a repeated requestId from the record without a second card round trip', async () => {
      const { msisdn } = await mno.subscriber();
      const requestId = `elig-dup-${randomUUID()}`;
      await mno.send(EligibilityRequested, { requestId, carrier: 'docomo', msisdn, applet: JPKI_APPLET });
      await mno.reply(requestId, EligibilityAnswered.type);
      const scripts = mno.responder.received.length;
      await mno.send(EligibilityRequested, { requestId, carrier: 'docomo', msisdn, applet: JPKI_APPLET });
      await waitUntil(() => mno.watcher.messages.filter((m) => m.topic === mno.events && (m.value ?? '').includes(requestId)).length === 2, 20_000, 'second answer');
      expect(mno.responder.received.length).toBe(scripts);
    });
  });
});
