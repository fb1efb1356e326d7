import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  CertificateIssuanceFailed,
  CertificateIssuanceRequested,
  CertificateIssued,
  IdentityProofingCompleted,
  IdentityProofingRequested,
  Topics,
  type Envelope,
  type MessageDefinition,
  type PayloadInput,
  type PayloadOf,
} from '@jpki/contracts';
import { createSubscriber, createTestCitizen, HttpJson, JpkiUiApp, type TestCitizen } from '@jpki/jpki-client';
import { kafkaClient } from '@jpki/messaging';
import { buildCsr, generateRsaKeyPair, SoftwareRsaSigner } from '@jpki/pki';
import { rawProducer, signedEnvelope, startPlatformUnderTest, testDatabaseUrl, testKafkaBrokers, TopicWatcher, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import { citizenCertificates, lifecycleApi, outcomeOf } from '../lifecycle-support';

type IssuanceRequest = PayloadInput<typeof CertificateIssuanceRequested>;
type Issued = PayloadOf<typeof CertificateIssued>;
type Failed = PayloadOf<typeof CertificateIssuanceFailed>;
type Proofed = PayloadOf<typeof IdentityProofingCompleted>;

const randomIccid = () => `8981${Array.from(randomBytes(15), (b) => b % 10).join('')}`;

/**
 * Attacks on phone issuance and on the SP-TSM's enrollment API, against the running platform (every service its own
 * process). ATK-30..32 and 35 play an attacker holding sp-tsm's producer key (a compromised SP-TSM): the CA must not
 * issue for anyone but the person its own, fresh, unused identity proofing verified. ATK-33..34 are anonymous HTTP
 * clients of the SP-TSM.
 */
describe('attacks: phone issuance and the enrollment API', () => {
  let platform: PlatformUnderTest;
  let producer: Awaited<ReturnType<typeof rawProducer>>;
  let caEvents: TopicWatcher;
  let alice: TestCitizen;
  let bob: TestCitizen;

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    producer = await rawProducer(platform.topicPrefix);
    caEvents = await new TopicWatcher(kafkaClient('atk-issuance', testKafkaBrokers()), platform.topicPrefix).watch(Topics.caEvents.name);
    [alice, bob] = await Promise.all([createTestCitizen(platform.endpoints, platform.operatorToken), createTestCitizen(platform.endpoints, platform.operatorToken)]);
  }, 180_000);

  afterAll(async () => {
    await caEvents?.stop();
    await producer?.disconnect();
    await platform?.stop();
  });

  /** A command on ca.commands signed with sp-tsm's producer key, as the attacker holding that key sends it. */
  const asSpTsm = async <D extends MessageDefinition>(def: D, payload: PayloadInput<D>) =>
    producer.sendTo(Topics.caCommands.name, [signedEnvelope(def, payload, 'sp-tsm', platform.keys.keys.get('sp-tsm')!.signingPkcs8)]);

  const answer = async <P>(requestId: string, types: string[]): Promise<{ type: string; payload: P }> =>
    waitUntil(
      () => {
        for (const m of caEvents.messages) {
          const e = m.json<Envelope<P>>();
          if (types.includes(e.type) && (e.payload as { requestId?: string }).requestId === requestId) return { type: e.type, payload: e.payload };
        }
        return undefined;
      },
      30_000,
      `the CA's answer to ${requestId}`,
    );

  const answers = (requestId: string) => caEvents.messages.map((m) => m.json<Envelope<{ requestId?: string }>>()).filter((e) => e.payload.requestId === requestId);

  const csr = async () =>
    (await buildCsr({ subject: [{ type: 'C', value: 'JP' }, { type: 'CN', value: 'JPKI applet' }], signer: new SoftwareRsaSigner((await generateRsaKeyPair()).privateKey) })).toString(
      'base64',
    );

  const issuance = async (personId: string, extra: Partial<IssuanceRequest> = {}): Promise<IssuanceRequest> => ({
    requestId: `atk-iss-${randomUUID()}`,
    personId,
    enrollmentId: `enr-${randomUUID()}`,
    device: { kind: 'sim', iccid: randomIccid(), msisdn: '+819012345678', carrier: 'docomo' },
    keySource: { mode: 'csr', csr: await csr() },
    ...extra,
  });

  const issue = async (request: IssuanceRequest) => {
    await asSpTsm(CertificateIssuanceRequested, request);
    return answer<Issued | Failed>(request.requestId, [CertificateIssued.type, CertificateIssuanceFailed.type]);
  };

  /** A genuine identity proofing of the citizen (their card signed the application): the CA's own record. */
  const proofing = async (citizen: TestCitizen, now = () => new Date()): Promise<string> => {
    const application = new JpkiUiApp(platform.endpoints, now).application({ msisdn: '+819012345678', operator: 'docomo', keyMode: 'on-card' });
    const signed = await citizen.card.signApplication(citizen.signingPassword, Buffer.from(JSON.stringify(application)));
    const requestId = `atk-prf-${randomUUID()}`;
    await asSpTsm(IdentityProofingRequested, { requestId, signedApplication: signed.toString('base64') });
    const proofed = await answer<Proofed>(requestId, [IdentityProofingCompleted.type]);
    if (!proofed.payload.verified) throw new Error(`proofing refused: ${proofed.payload.reason}`);
    return requestId;
  };

  const phoneCertificates = async (citizen: TestCitizen) => (await citizenCertificates(platform, citizen.personId)).filter((c) => c.kind === 'phone-user-authentication');

  it('ATK-30: a phone issuance without the CA’s proofing record, or naming one the CA never made, is refused (PROOFING_REQUIRED, PROOFING_NOT_FOUND); nothing is issued', async () => {
    const before = await phoneCertificates(alice);
    for (const [extra, reason] of [
      [{}, 'PROOFING_REQUIRED'],
      [{ proofingRequestId: `enr-${randomUUID()}:proofing` }, 'PROOFING_NOT_FOUND'],
    ] as const) {
      for (const keySource of [{ mode: 'csr' as const, csr: await csr() }, { mode: 'ca-generated' as const, recipient: 'sp-tsm' }]) {
        const request = await issuance(alice.personId, { ...extra, keySource });
        const refused = await issue(request);
        expect({ type: refused.type, reason: (refused.payload as Failed).reason }).toEqual({ type: CertificateIssuanceFailed.type, reason });
      }
    }
    // No certificate row for the person, so nothing that OCSP or a CRL could list.
    expect(await phoneCertificates(alice)).toEqual(before);
  }, 120_000);

  it('ATK-31: a proofing record reused for a second issuance (another CSR, another request id) is refused (PROOFING_ALREADY_USED); the redelivered first request still gets its certificate', async () => {
    const proofingRequestId = await proofing(alice);
    const first = await issuance(alice.personId, { proofingRequestId });
    const issued = await issue(first);
    expect(issued.type).toBe(CertificateIssued.type);
    const serial = (issued.payload as Issued).serial;

    const second = await issue(await issuance(alice.personId, { proofingRequestId }));
    expect({ type: second.type, reason: (second.payload as Failed).reason }).toEqual({ type: CertificateIssuanceFailed.type, reason: 'PROOFING_ALREADY_USED' });

    // Exactly-once redelivery of the same request is not a second issuance: the same certificate again.
    await asSpTsm(CertificateIssuanceRequested, first);
    const repeated = await waitUntil(() => (answers(first.requestId).length >= 2 ? answers(first.requestId)[1] : undefined), 30_000, 'the redelivered answer');
    expect(repeated).toMatchObject({ type: CertificateIssued.type, payload: { serial } });
    const active = (await phoneCertificates(alice)).filter((c) => c.status !== 'revoked');
    expect(active.map((c) => c.serial)).toEqual([serial]);
  }, 120_000);

  it('ATK-32: an issuance naming another person than the proofing record is refused (PROOFING_PERSON_MISMATCH); the named person gets no certificate', async () => {
    const proofingRequestId = await proofing(alice);
    const bobsBefore = await phoneCertificates(bob);
    const refused = await issue(await issuance(bob.personId, { proofingRequestId }));
    expect({ type: refused.type, reason: (refused.payload as Failed).reason }).toEqual({ type: CertificateIssuanceFailed.type, reason: 'PROOFING_PERSON_MISMATCH' });
    expect(await phoneCertificates(bob)).toEqual(bobsBefore);
    // The record was not consumed by the refused attempt: its person can still use it.
    expect((await issue(await issuance(alice.personId, { proofingRequestId }))).type).toBe(CertificateIssued.type);
  }, 120_000);

  it("ATK-33: ICCID and serial looked up by MSISDN (or iPhone device id) without a token or with another service's are refused (401), each audited once, nothing read; an auditor token works", async () => {
    const subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const owner = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const started = await new JpkiUiApp(platform.endpoints).startEnrollment({ card: owner.card, signingPassword: owner.signingPassword, msisdn: subscriber.msisdn, operator: 'docomo', keyMode: 'delivered' });
    const deviceId = `iphone-${randomUUID().slice(0, 8)}`;
    const byMsisdn = `/enrollments?msisdn=${encodeURIComponent(subscriber.msisdn)}`;
    const anonymous = new HttpJson(platform.endpoints.spTsm);
    expect(await outcomeOf(anonymous.get(byMsisdn))).toEqual({ status: 401, reason: 'AUTH_REQUIRED' });
    expect(await outcomeOf(anonymous.get(`/iphone-enrollments?deviceId=${deviceId}`))).toEqual({ status: 401, reason: 'AUTH_REQUIRED' });
    const lifecycleToken = platform.keys.operatorToken('e2e-operator', ['operator'], { audience: ['lifecycle'] });
    expect(await outcomeOf(new HttpJson(platform.endpoints.spTsm, lifecycleToken).get(byMsisdn))).toEqual({ status: 401, reason: 'TOKEN_AUDIENCE' });

    // Each refusal is in sp-tsm's operator audit once, under the read's action: who (the subject a refused token claims),
    // what, why; never the token. No read was recorded.
    const db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const audited = await db.query(
        `SELECT actor, roles, action, target, outcome, details FROM "${platform.stack.get('sp-tsm').spec.schema}".operator_audit WHERE target = ANY($1) ORDER BY id`,
        [[subscriber.msisdn, deviceId]],
      );
      const refused = (action: string, target: string, path: string, reason: string, claimedSubject: string | null) =>
        ({ actor: 'anonymous', roles: [], action, target, outcome: `refused:${reason}`, details: { status: 401, method: 'GET', path, claimedSubject } });
      expect(audited.rows).toEqual([
        refused('enrollments.listed', subscriber.msisdn, '/enrollments', 'AUTH_REQUIRED', null),
        refused('iphone-enrollments.listed', deviceId, '/iphone-enrollments', 'AUTH_REQUIRED', null),
        refused('enrollments.listed', subscriber.msisdn, '/enrollments', 'TOKEN_AUDIENCE', 'e2e-operator'),
      ]);
      expect(JSON.stringify(audited.rows)).not.toContain(lifecycleToken.split('.')[2]);
    } finally {
      await db.end();
    }

    const auditor = new HttpJson(platform.endpoints.spTsm, platform.keys.operatorToken('e2e-auditor', ['auditor']));
    expect(await auditor.get(byMsisdn)).toEqual({ enrollmentIds: [started.enrollmentId] });
    await new JpkiUiApp(platform.endpoints).waitForEnrollment(started.enrollmentId, undefined, 180_000);
  }, 240_000);

  it('ATK-34: anonymous junk POST /enrollments for a victim’s MSISDN gets a precise 4xx and does not hold the MSISDN: the owner’s enrollment completes', async () => {
    const victim = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const owner = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const attacker = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const app = new JpkiUiApp(platform.endpoints);
    const anonymous = new HttpJson(platform.endpoints.spTsm);
    const post = (signedApplication: string) => outcomeOf(anonymous.post('/enrollments', { signedApplication, msisdn: victim.msisdn, operator: 'docomo', keyMode: 'on-card' }));

    expect(await post(randomBytes(300).toString('base64'))).toEqual({ status: 400, reason: 'APPLICATION_MALFORMED' });
    // The attacker's own card, over an application for another number: signed, but not for this MSISDN.
    const otherNumber = app.application({ msisdn: '+819000000001', operator: 'docomo', keyMode: 'on-card' });
    const signedForOther = await attacker.card.signApplication(attacker.signingPassword, Buffer.from(JSON.stringify(otherNumber)));
    expect(await post(signedForOther.toString('base64'))).toEqual({ status: 422, reason: 'APPLICATION_MISMATCH' });
    // A signature that does not verify (one byte of the signed content changed).
    const forVictim = app.application({ msisdn: victim.msisdn, operator: 'docomo', keyMode: 'on-card' });
    const signed = await attacker.card.signApplication(attacker.signingPassword, Buffer.from(JSON.stringify(forVictim)));
    const at = signed.indexOf(Buffer.from(victim.msisdn));
    const tampered = Buffer.from(signed);
    tampered[at + victim.msisdn.length - 1] = tampered[at + victim.msisdn.length - 1] === 0x30 ? 0x31 : 0x30;
    expect(await post(tampered.toString('base64'))).toMatchObject({ status: 400, reason: 'APPLICATION_SIGNATURE_INVALID' });

    const started = await app.startEnrollment({ card: owner.card, signingPassword: owner.signingPassword, msisdn: victim.msisdn, operator: 'docomo', keyMode: 'on-card' });
    // Once the owner's identity is proven the number is held: a second honest enrollment while it runs is refused.
    await waitUntil(async () => (await app.enrollment(started.enrollmentId)).step !== 'identity-proofing', 60_000, 'the owner proven');
    const again = await outcomeOf(app.startEnrollment({ card: owner.card, signingPassword: owner.signingPassword, msisdn: victim.msisdn, operator: 'docomo', keyMode: 'on-card' }));
    expect(again).toEqual({ status: 409, reason: 'ENROLLMENT_IN_PROGRESS' });
    expect(await app.waitForEnrollment(started.enrollmentId, undefined, 180_000)).toMatchObject({ status: 'completed', state: 'operational', iccid: victim.iccid });
  }, 300_000);

  it('ATK-35: a proofing record older than the CA’s bound is refused (PROOFING_EXPIRED)', async () => {
    const proofingRequestId = await proofing(alice);
    const maxAgeMs = 1800_000;
    await lifecycleApi(platform, 'e2e-integrator', ['integrator']).post('/clock', { advanceMs: maxAgeMs + 15 * 60_000, reason: 'ATK-35: the proofing record ages' });
    // The CA follows the clock once a fresh-looking application (dated by the machine clock) is stale to it.
    await waitUntil(
      async () => {
        const signed = await alice.card.signApplication(
          alice.signingPassword,
          Buffer.from(JSON.stringify(new JpkiUiApp(platform.endpoints).application({ msisdn: '+819012345678', operator: 'docomo', keyMode: 'on-card' }))),
        );
        const requestId = `atk-probe-${randomUUID()}`;
        await asSpTsm(IdentityProofingRequested, { requestId, signedApplication: signed.toString('base64') });
        return (await answer<Proofed>(requestId, [IdentityProofingCompleted.type])).payload.reason === 'APPLICATION_STALE';
      },
      30_000,
      'the CA to follow the clock',
    );
    const before = await phoneCertificates(alice);
    const refused = await issue(await issuance(alice.personId, { proofingRequestId }));
    expect({ type: refused.type, reason: (refused.payload as Failed).reason }).toEqual({ type: CertificateIssuanceFailed.type, reason: 'PROOFING_EXPIRED' });
    expect(await phoneCertificates(alice)).toEqual(before);
  }, 120_000);
});
