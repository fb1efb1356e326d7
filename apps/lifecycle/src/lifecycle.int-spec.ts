import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  CertificateIssued,
  CertificateStatusChanged,
  ContractEnded,
  EnrollmentCompleted,
  HandsetChanged,
  LifecycleCaseChanged,
  ReenrollmentRequired,
  RevocationRefused,
  ServiceOperationCompleted,
  SimSwapped,
  ServiceRenewalCompleted,
  Topics,
  topicOf,
  type MessageDefinition,
  type PayloadInput,
} from '@jpki/contracts';
import { ensureTopics, kafkaClient } from '@jpki/messaging';
import { createServiceApp } from '@jpki/service-kit';
import {
  rawProducer,
  signedEnvelope,
  StackKeys,
  statementsDuring,
  statementsWithoutIndex,
  testDatabaseUrl,
  testKafkaBrokers,
  testSchema,
  testTopicPrefix,
  TopicWatcher,
  waitUntil,
} from '@jpki/testing';
import { LifecycleModule } from './app.module';
import { loadLifecycleConfig } from './config';
import { LIFECYCLE_OPENAPI, lifecycleDefinition } from './definition';

const DAY_MS = 86_400_000;
/** Statements that read a whole table on purpose: retention of published outbox rows. */
const HOUSEKEEPING = ['DELETE FROM outbox WHERE published_at <'];

/**
 * The lifecycle service alone on the real broker and database, its peers played by the test (signed envelopes as
 * jpki-ca, sp-tsm, mno-tsm-docomo): deterministic orderings of the races the end-to-end tests can only provoke.
 */
describe('lifecycle service (integration)', () => {
  const sub = `l${randomBytes(3).toString('hex')}.`;
  const prefix = `${testTopicPrefix()}${sub}`;
  const keys = new StackKeys(['lifecycle', 'jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'mno-tsm-kddi', 'mno-tsm-softbank']);
  const schema = testSchema('lifecycle');
  let app: INestApplication;
  let watcher: TopicWatcher;
  let producer: Awaited<ReturnType<typeof rawProducer>>;
  const token = keys.operatorToken('olive', ['operator', 'auditor', 'integrator']);
  const docomoOperator = keys.operatorToken('daichi', ['operator'], { carrier: 'docomo' });
  const kddiOperator = keys.operatorToken('kenta', ['operator'], { carrier: 'kddi' });

  async function send<D extends MessageDefinition>(def: D, payload: PayloadInput<D>, producerName: string): Promise<void> {
    const envelope = signedEnvelope(def, payload, producerName, keys.keys.get(producerName)!.signingPkcs8);
    await producer.sendTo(topicOf(def, def.schema.parse(payload)).name, [envelope]);
  }
  const sent = (type: string, where: (p: Record<string, unknown>) => boolean = () => true) =>
    watcher.waitFor((m) => {
      const body = m.json<{ type: string; payload: Record<string, unknown> }>();
      return body.type === type && where(body.payload);
    }, 20_000, type);
  const sentAll = (type: string, where: (p: Record<string, unknown>) => boolean) =>
    watcher.messages.map((m) => m.json<{ type: string; payload: Record<string, unknown> }>()).filter((b) => b.type === type && where(b.payload));
  const http = () => request(app.getHttpServer());
  const getCase = async (id: string) => (await http().get(`/cases/${id}`).set('authorization', `Bearer ${token}`).expect(200)).body;
  const casesOf = async (q: string) => (await http().get(`/cases?${q}`).set('authorization', `Bearer ${token}`).expect(200)).body as { caseId: string; kind: string; status: string }[];
  const iccid = () => `898110${String(Date.now()).slice(-8)}${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
  const msisdn = () => `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const serial = () => randomBytes(16).toString('hex').toUpperCase();

  async function phone(opts: { notAfterDays?: number } = {}) {
    const p = { personId: randomUUID(), enrollmentId: `enr-${randomUUID()}`, serial: serial(), iccid: iccid(), msisdn: msisdn() };
    const device = { kind: 'sim' as const, iccid: p.iccid, msisdn: p.msisdn, carrier: 'docomo' as const };
    await send(
      CertificateIssued,
      {
        requestId: `${p.enrollmentId}:issuance`,
        personId: p.personId,
        enrollmentId: p.enrollmentId,
        serial: p.serial,
        certificate: 'AAAA',
        notBefore: new Date().toISOString(),
        notAfter: new Date(Date.now() + (opts.notAfterDays ?? 365) * DAY_MS).toISOString(),
        device,
        supersededSerials: [],
      },
      'jpki-ca',
    );
    await send(
      EnrollmentCompleted,
      { enrollmentId: p.enrollmentId, personId: p.personId, serial: p.serial, carrier: 'docomo', msisdn: p.msisdn, iccid: p.iccid, ssdAid: 'A000000151535050010001', keyMode: 'on-card' },
      'sp-tsm',
    );
    await waitUntil(async () => (await http().get(`/phones?serial=${p.serial}`).set('authorization', `Bearer ${token}`)).body?.service?.state === 'operational', 20_000, 'phone known');
    return { ...p, device };
  }

  beforeAll(async () => {
    await ensureTopics(kafkaClient('lifecycle-test-setup', testKafkaBrokers()), prefix);
    const config = loadLifecycleConfig({
      HTTP_PORT: '0',
      DB_SCHEMA: schema,
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      RENEWAL_SWEEP_INTERVAL_MS: '0',
      CLOCK_SETTLE_MS: '0',
      ...keys.envFor('lifecycle'),
    });
    watcher = await new TopicWatcher(kafkaClient('lifecycle-test-watch', testKafkaBrokers()), prefix).watch(Topics.caCommands.name, Topics.spTsmCommands.name, Topics.lifecycleEvents.name);
    producer = await rawProducer(prefix);
    app = await createServiceApp({ definition: lifecycleDefinition(config), module: LifecycleModule.register(config), openApi: LIFECYCLE_OPENAPI });
    await app.listen(0, '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await watcher?.stop();
    await producer?.disconnect();
    await app?.close();
  });

  it('a loss report publishes the CA hold and the SP-TSM suspension at once, and answers 202 with the case', async () => {
    const p = await phone();
    const res = await http().post('/loss-reports').set('authorization', `Bearer ${token}`).send({ iccid: p.iccid, reason: 'hotline call' }).expect(202);
    const caseId = res.body.caseId as string;
    expect(await sent('ca.revocation.requested', (x) => x['requestId'] === `${caseId}:ca`)).toBeDefined();
    const revocation = sentAll('ca.revocation.requested', (x) => x['requestId'] === `${caseId}:ca`)[0].payload;
    expect(revocation).toMatchObject({ target: { by: 'serial', serial: p.serial }, reason: 'certificateHold', requestedBy: 'olive', comment: 'hotline call' });
    await sent('sptsm.service.suspend-requested', (x) => x['requestId'] === `${caseId}:sp` && x['iccid'] === p.iccid);
    await sent(LifecycleCaseChanged.type, (x) => x['caseId'] === caseId && x['status'] === 'open');
  }, 30_000);

  it('contract end before the certificate exists: the late issuance and the late completion are revoked and terminated', async () => {
    const person = randomUUID();
    const sim = iccid();
    const number = msisdn();
    await send(ContractEnded, { carrier: 'docomo', msisdn: number, iccid: sim, at: new Date().toISOString() }, 'mno-tsm-docomo');
    const ended = await waitUntil(async () => (await casesOf(`iccid=${sim}`)).find((c) => c.kind === 'contract-end'), 20_000, 'contract-end case');
    const byIccid = await sent('ca.revocation.requested', (x) => x['requestId'] === `${ended.caseId}:ca`);
    expect(byIccid.json<{ payload: unknown }>().payload).toMatchObject({ target: { by: 'iccid', iccid: sim }, reason: 'cessationOfOperation' });
    await send(RevocationRefused, { requestId: `${ended.caseId}:ca`, reason: 'CERTIFICATE_UNKNOWN' }, 'jpki-ca');
    await send(ServiceOperationCompleted, { requestId: `${ended.caseId}:sp`, iccid: sim, operation: 'terminate', outcome: 'not-deployed' }, 'sp-tsm');
    await waitUntil(async () => (await getCase(ended.caseId)).status === 'completed', 20_000, 'contract-end case completed');
    expect(await getCase(ended.caseId)).toMatchObject({ outcomes: { certificate: 'refused:CERTIFICATE_UNKNOWN', service: 'not-deployed' } });

    // The enrollment that raced it goes on and gets its certificate: it is revoked at once and the service terminated.
    const late = serial();
    const enrollmentId = `enr-${randomUUID()}`;
    await send(
      CertificateIssued,
      {
        requestId: `${enrollmentId}:issuance`,
        personId: person,
        enrollmentId,
        serial: late,
        certificate: 'AAAA',
        notBefore: new Date().toISOString(),
        notAfter: new Date(Date.now() + 365 * DAY_MS).toISOString(),
        device: { kind: 'sim', iccid: sim, msisdn: number, carrier: 'docomo' },
        supersededSerials: [],
      },
      'jpki-ca',
    );
    const followUp = await sent('ca.revocation.requested', (x) => (x['target'] as { serial?: string }).serial === late);
    expect(followUp.json<{ payload: unknown }>().payload).toMatchObject({ reason: 'cessationOfOperation' });
    await send(
      EnrollmentCompleted,
      { enrollmentId, personId: person, serial: late, carrier: 'docomo', msisdn: number, iccid: sim, ssdAid: 'A000000151535050010001', keyMode: 'on-card' },
      'sp-tsm',
    );
    await waitUntil(() => sentAll('sptsm.service.terminate-requested', (x) => x['iccid'] === sim).length >= 3, 20_000, 'three terminations of the cancelled SIM');
    const kinds = (await casesOf(`iccid=${sim}`)).map((c) => c.kind);
    expect(kinds).toEqual(['contract-end', 'contract-end', 'contract-end']);
  }, 60_000);

  it('a supersession by a new phone is a device change; one by a renewal this service asked for is not', async () => {
    const p = await phone({ notAfterDays: 60 });
    // Renewal: the sweep opens the case (60 days left < 90-day window) and asks the SP-TSM.
    const swept = (await http().post('/renewals/sweep').set('authorization', `Bearer ${token}`).expect(200)).body as { renewalCases: string[] };
    const [caseId] = swept.renewalCases;
    const renewal = await sent('sptsm.service.renewal-requested', (x) => x['previousSerial'] === p.serial);
    const requestId = renewal.json<{ payload: { requestId: string } }>().payload.requestId;
    expect(requestId).toMatch(/^case-.*:renewal$/);
    const renewed = serial();
    await send(
      CertificateStatusChanged,
      { serial: p.serial, personId: p.personId, kind: 'phone-user-authentication', status: 'revoked', reason: 'superseded', changedAt: new Date().toISOString(), requestId: `${requestId}:issuance`, device: p.device, enrollmentId: p.enrollmentId },
      'jpki-ca',
    );
    await send(
      CertificateIssued,
      {
        requestId: `${requestId}:issuance`,
        personId: p.personId,
        enrollmentId: p.enrollmentId,
        serial: renewed,
        certificate: 'AAAA',
        notBefore: new Date().toISOString(),
        notAfter: new Date(Date.now() + 400 * DAY_MS).toISOString(),
        device: p.device,
        supersededSerials: [p.serial],
      },
      'jpki-ca',
    );
    await send(ServiceRenewalCompleted, { requestId, iccid: p.iccid, previousSerial: p.serial, outcome: 'renewed', serial: renewed, notAfter: new Date(Date.now() + 400 * DAY_MS).toISOString() }, 'sp-tsm');
    await waitUntil(async () => (await http().get(`/phones?iccid=${p.iccid}`).set('authorization', `Bearer ${token}`)).body?.serial === renewed, 20_000, 'renewed phone');
    expect(caseId).toBeDefined();
    expect((await casesOf(`serial=${p.serial}`)).map((c) => c.kind)).toEqual(['renewal']);

    // Device change: the renewed certificate superseded by another enrollment's issuance.
    await send(
      CertificateStatusChanged,
      { serial: renewed, personId: p.personId, kind: 'phone-user-authentication', status: 'revoked', reason: 'superseded', changedAt: new Date().toISOString(), requestId: `enr-${randomUUID()}:issuance`, device: p.device, enrollmentId: p.enrollmentId },
      'jpki-ca',
    );
    const change = await waitUntil(async () => (await casesOf(`serial=${renewed}`)).find((c) => c.kind === 'device-change'), 20_000, 'device-change case');
    const terminate = await sent('sptsm.service.terminate-requested', (x) => x['requestId'] === `${change.caseId}:sp`);
    expect(terminate.json<{ payload: unknown }>().payload).toMatchObject({ iccid: p.iccid, queueIfUnreachable: true, reason: 'DEVICE_CHANGE' });
  }, 60_000);

  it('a found case whose unlock fails for good puts the certificate back on hold: the phone is still lost', async () => {
    const p = await phone();
    const loss = (await http().post('/loss-reports').set('authorization', `Bearer ${token}`).send({ serial: p.serial, reason: 'left on a train' }).expect(202)).body.caseId as string;
    await send(CertificateStatusChanged, { serial: p.serial, personId: p.personId, kind: 'phone-user-authentication', status: 'on-hold', reason: 'certificateHold', changedAt: new Date().toISOString(), requestId: `${loss}:ca`, device: p.device, enrollmentId: p.enrollmentId }, 'jpki-ca');
    await send(ServiceOperationCompleted, { requestId: `${loss}:sp`, iccid: p.iccid, operation: 'suspend', outcome: 'done' }, 'sp-tsm');
    await waitUntil(async () => (await getCase(loss)).status === 'completed', 20_000, 'loss completed');

    const found = (await http().post('/found-reports').set('authorization', `Bearer ${token}`).send({ serial: p.serial, reason: 'found at the station' }).expect(202)).body.caseId as string;
    await send(CertificateStatusChanged, { serial: p.serial, personId: p.personId, kind: 'phone-user-authentication', status: 'good', reason: 'removeFromCRL', changedAt: new Date().toISOString(), requestId: `${found}:ca`, device: p.device, enrollmentId: p.enrollmentId }, 'jpki-ca');
    await send(ServiceOperationCompleted, { requestId: `${found}:sp`, iccid: p.iccid, operation: 'resume', outcome: 'failed', reason: 'CARD_REJECTED' }, 'sp-tsm');

    const holdAgain = await sent('ca.revocation.requested', (x) => x['requestId'] === `${found}:ca:hold-again`);
    expect(holdAgain.json<{ payload: unknown }>().payload).toMatchObject({ target: { by: 'serial', serial: p.serial }, reason: 'certificateHold', requestedBy: 'lifecycle' });
    await send(CertificateStatusChanged, { serial: p.serial, personId: p.personId, kind: 'phone-user-authentication', status: 'on-hold', reason: 'certificateHold', changedAt: new Date().toISOString(), requestId: `${found}:ca:hold-again`, device: p.device, enrollmentId: p.enrollmentId }, 'jpki-ca');
    await waitUntil(async () => (await getCase(found)).status === 'failed', 20_000, 'found failed');
    const view = (await http().get(`/phones?serial=${p.serial}`).set('authorization', `Bearer ${token}`).expect(200)).body;
    expect(view).toMatchObject({ lost: true, certificate: { status: 'on-hold' } });
  }, 60_000);

  it('a phone is found by the IMEI its carrier last reported, within the operator’s carrier scope', async () => {
    const p = await phone();
    const imei = `35${String(Date.now()).slice(-8)}${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
    const get = (query: string, bearer = token) => http().get(`/phones?${query}`).set('authorization', `Bearer ${bearer}`);
    expect((await get(`imei=${imei}`).expect(404)).body).toMatchObject({ reason: 'PHONE_UNKNOWN' });
    await send(HandsetChanged, { carrier: 'docomo', msisdn: p.msisdn, iccid: p.iccid, imei, at: new Date().toISOString() }, 'mno-tsm-docomo');
    await waitUntil(async () => (await get(`imei=${imei}`)).status === 200, 20_000, 'phone known by IMEI');
    expect((await get(`imei=${imei}`, docomoOperator).expect(200)).body).toMatchObject({ serial: p.serial, iccid: p.iccid, carrier: 'docomo' });
    expect((await get(`imei=${imei}`, kddiOperator).expect(403)).body).toMatchObject({ reason: 'CARRIER_SCOPE' });
    expect((await get('imei=12345').expect(400)).body).toMatchObject({ reason: 'VALIDATION_FAILED' });
    expect((await get(`imei=${imei}&serial=${p.serial}`).expect(400)).body).toMatchObject({ reason: 'VALIDATION_FAILED' });
  }, 30_000);

  it('every operator search (serial, ICCID, MSISDN, person, enrollment, IMEI) and the phone’s cases is served by an index', async () => {
    const p = await phone();
    const imei = `35${String(Date.now()).slice(-8)}${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
    await send(HandsetChanged, { carrier: 'docomo', msisdn: p.msisdn, iccid: p.iccid, imei, at: new Date().toISOString() }, 'mno-tsm-docomo');
    const get = (path: string) => http().get(path).set('authorization', `Bearer ${token}`);
    await waitUntil(async () => (await get(`/phones?imei=${imei}`)).status === 200, 20_000, 'phone known by IMEI');
    const statements = await statementsDuring(async () => {
      for (const query of [`serial=${p.serial}`, `iccid=${p.iccid}`, `msisdn=${encodeURIComponent(p.msisdn)}`, `personId=${p.personId}`, `enrollmentId=${p.enrollmentId}`, `imei=${imei}`]) {
        expect((await get(`/phones?${query}`).expect(200)).body).toMatchObject({ serial: p.serial });
      }
      await get(`/cases?serial=${p.serial}`).expect(200);
    });
    expect(await statementsWithoutIndex(schema, statements, HOUSEKEEPING)).toEqual([]);
  }, 30_000);

  it('a re-enrollment notice tells a holder again after a SIM swap, with the recorded cause and case; refused when nothing is to be applied for', async () => {
    const p = await phone();
    const notice = (bearer: string, reason = 'holder called: told to apply again on the new SIM') =>
      http().post('/reenrollment-notices').set('authorization', `Bearer ${bearer}`).send({ personId: p.personId, reason });
    expect((await notice(docomoOperator).expect(409)).body).toMatchObject({ reason: 'REENROLLMENT_NOT_REQUIRED' });

    await send(SimSwapped, { carrier: 'docomo', msisdn: p.msisdn, oldIccid: p.iccid, newIccid: iccid(), at: new Date().toISOString() }, 'mno-tsm-docomo');
    const swap = await waitUntil(async () => (await casesOf(`personId=${p.personId}`)).find((c) => c.kind === 'sim-swap'), 20_000, 'sim-swap case');
    await sent(ReenrollmentRequired.type, (x) => x['personId'] === p.personId && x['caseId'] === swap.caseId);

    expect((await notice(kddiOperator).expect(403)).body).toMatchObject({ reason: 'CARRIER_SCOPE' });
    expect((await notice(docomoOperator, '').expect(400)).body).toMatchObject({ reason: 'VALIDATION_FAILED' });
    const sentNotice = (await notice(docomoOperator).expect(202)).body;
    expect(sentNotice).toMatchObject({ personId: p.personId, cause: 'sim-swapped', caseId: swap.caseId, serials: [p.serial], sentBy: 'operator:daichi' });
    const again = await sent(ReenrollmentRequired.type, (x) => x['personId'] === p.personId && String(x['detail']).includes('operator:daichi'));
    expect(again.json<{ payload: unknown }>().payload).toMatchObject({ cause: 'sim-swapped', caseId: swap.caseId, serials: [p.serial] });
    const audit = (await http().get(`/audit?action=reenrollment.notice&target=person:${p.personId}`).set('authorization', `Bearer ${token}`).expect(200)).body;
    expect(audit).toEqual([expect.objectContaining({ actor: 'operator:daichi', reason: 'holder called: told to apply again on the new SIM', outcome: 'accepted', caseId: swap.caseId })]);
  }, 30_000);

  it('queued card operations: a later done on the SIM settles the older queued one (the carrier runs them in order)', async () => {
    const p = await phone();
    const loss = (await http().post('/loss-reports').set('authorization', `Bearer ${token}`).send({ serial: p.serial, reason: 'phone off' }).expect(202)).body.caseId as string;
    await send(CertificateStatusChanged, { serial: p.serial, personId: p.personId, kind: 'phone-user-authentication', status: 'on-hold', reason: 'certificateHold', changedAt: new Date().toISOString(), requestId: `${loss}:ca`, device: p.device, enrollmentId: p.enrollmentId }, 'jpki-ca');
    await send(ServiceOperationCompleted, { requestId: `${loss}:sp`, iccid: p.iccid, operation: 'suspend', outcome: 'queued' }, 'sp-tsm');
    await waitUntil(async () => (await getCase(loss)).status === 'waiting-device', 20_000, 'loss waiting for the device');

    const found = (await http().post('/found-reports').set('authorization', `Bearer ${token}`).send({ serial: p.serial, reason: 'found, still off' }).expect(202)).body.caseId as string;
    await send(CertificateStatusChanged, { serial: p.serial, personId: p.personId, kind: 'phone-user-authentication', status: 'good', reason: 'removeFromCRL', changedAt: new Date().toISOString(), requestId: `${found}:ca`, device: p.device, enrollmentId: p.enrollmentId }, 'jpki-ca');
    await send(ServiceOperationCompleted, { requestId: `${found}:sp`, iccid: p.iccid, operation: 'resume', outcome: 'queued' }, 'sp-tsm');
    await waitUntil(async () => (await getCase(found)).status === 'waiting-device', 20_000, 'found waiting for the device');

    // Followed up while it waits (the holder was asked to switch the phone on): recorded in the case and audited.
    const followUp = (id: string, bearer: string, reason = 'holder asked by phone to switch the handset on') =>
      http().post(`/cases/${id}/follow-ups`).set('authorization', `Bearer ${bearer}`).send({ reason });
    expect((await followUp(loss, kddiOperator).expect(403)).body).toMatchObject({ reason: 'CARRIER_SCOPE' });
    expect((await followUp(loss, docomoOperator, 'x').expect(400)).body).toMatchObject({ reason: 'VALIDATION_FAILED' });
    expect((await followUp(loss, docomoOperator).expect(200)).body).toMatchObject({ status: 'waiting-device', result: { followUps: [{ by: 'operator:daichi', reason: 'holder asked by phone to switch the handset on' }] } });

    // The phone comes back: the SP-TSM reports the last queued operation of the SIM.
    await send(ServiceOperationCompleted, { requestId: `${found}:sp`, iccid: p.iccid, operation: 'resume', outcome: 'done' }, 'sp-tsm');
    await waitUntil(async () => (await getCase(found)).status === 'completed' && (await getCase(loss)).status === 'completed', 20_000, 'both completed');
    expect((await getCase(loss)).result).toMatchObject({ queuedOperationsSettledBy: `${found}:sp`, followUps: [expect.objectContaining({ by: 'operator:daichi' })] });
    expect((await followUp(loss, docomoOperator).expect(409)).body).toMatchObject({ reason: 'CASE_NOT_WAITING' });
    const view = (await http().get(`/phones?serial=${p.serial}`).set('authorization', `Bearer ${token}`).expect(200)).body;
    expect(view).toMatchObject({ lost: false, certificate: { status: 'good' }, service: { state: 'operational', pendingOperation: null } });
  }, 60_000);

  it('every statement of a loss and a found case, from the report to the card operation’s outcome, is served by an index', async () => {
    const p = await phone();
    const statements = await statementsDuring(async () => {
      for (const [path, status, reason, operation] of [
        ['/loss-reports', 'on-hold', 'certificateHold', 'suspend'],
        ['/found-reports', 'good', 'removeFromCRL', 'resume'],
      ] as const) {
        const caseId = (await http().post(path).set('authorization', `Bearer ${token}`).send({ serial: p.serial, reason: 'plan audit' }).expect(202)).body.caseId as string;
        await send(CertificateStatusChanged, { serial: p.serial, personId: p.personId, kind: 'phone-user-authentication', status, reason, changedAt: new Date().toISOString(), requestId: `${caseId}:ca`, device: p.device, enrollmentId: p.enrollmentId }, 'jpki-ca');
        await send(ServiceOperationCompleted, { requestId: `${caseId}:sp`, iccid: p.iccid, operation, outcome: 'done' }, 'sp-tsm');
        await waitUntil(async () => (await getCase(caseId)).status === 'completed', 20_000, `${path} case completed`);
      }
    });
    expect(statements.length).toBeGreaterThan(20);
    expect(await statementsWithoutIndex(schema, statements, HOUSEKEEPING)).toEqual([]);
  }, 60_000);
});
