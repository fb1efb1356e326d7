import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CertificateIssuanceRequested,
  ContractEnded,
  HoldReleaseRequested,
  Headers,
  IdentityProofingCompleted,
  IdentityProofingRequested,
  RevocationRefused,
  RevocationRequested,
  ServiceSuspendRequested,
  SimulationClockSet,
  Topics,
  deadLetterTopicName,
  type Envelope,
  type MessageDefinition,
  type PayloadInput,
  type AuditEntryView,
  type EnrollmentView,
} from '@jpki/contracts';
import { createSubscriber, createTestCitizen, JpkiUiApp } from '@jpki/jpki-client';
import { kafkaClient } from '@jpki/messaging';
import { kcatSasl, rawProducer, signedEnvelope, startPlatformUnderTest, testKafkaBrokers, TopicWatcher, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import {
  casesOf,
  certificateDer,
  citizenCertificates,
  enrollPhone,
  knownToLifecycle,
  lifecycleApi,
  LIFECYCLE_SERVICES,
  OpenSslJudge,
  outcomeOf,
  ssdState,
  type Phone,
} from '../lifecycle-support';

const DAY_MS = 86_400_000;
/** The bound this platform runs with (SIMULATION_CLOCK_MAX_JUMP_DAYS, the same for every service). */
const MAX_JUMP_DAYS = 400;

interface ClockView {
  now: string;
  offsetMs: number;
}

/**
 * Attacks on the messaging fabric and the simulation clock, against the running platform (every service its own
 * process, the real broker): forged and replayed messages on the wrong topic, from the wrong producer or for another
 * carrier (ATK-14..16, 19), CA commands outside their sender's purpose (ATK-17, 18), and clock messages that are
 * unsigned, signed by the wrong service or too large (ATK-10..13). Who may send what where is declared once in
 * libs/contracts (each message type's routes); the attacker holds a service's real producer key where the title says so.
 */
describe('attacks: topics, producers and the simulation clock', () => {
  let platform: PlatformUnderTest;
  let producer: Awaited<ReturnType<typeof rawProducer>>;
  let watcher: TopicWatcher;
  let openssl: OpenSslJudge;
  let alice: Phone;
  let bob: Phone;

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: LIFECYCLE_SERVICES, env: { SIMULATION_CLOCK_MAX_JUMP_DAYS: String(MAX_JUMP_DAYS) } });
    producer = await rawProducer(platform.topicPrefix);
    watcher = await new TopicWatcher(kafkaClient('atk-messaging', testKafkaBrokers()), platform.topicPrefix).watch(
      Topics.caEvents.name,
      ...[Topics.caCommands, Topics.caEvents, Topics.spTsmEvents, Topics.mnoEvents.docomo].map((t) => deadLetterTopicName(t.name)),
    );
    openssl = await OpenSslJudge.create(platform);
    [alice, bob] = await Promise.all([enrollPhone(platform, 'docomo'), enrollPhone(platform, 'kddi')]);
    await Promise.all([knownToLifecycle(lifecycleApi(platform), alice), knownToLifecycle(lifecycleApi(platform), bob)]);
  }, 240_000);

  afterAll(async () => {
    await openssl?.dispose();
    await watcher?.stop();
    await producer?.disconnect();
    await platform?.stop();
  });

  const keyOf = (service: string) => platform.keys.keys.get(service)!.signingPkcs8;
  /** An envelope signed with `service`'s real producer key, as an attacker holding that key makes it. */
  const signedBy = <D extends MessageDefinition>(def: D, payload: PayloadInput<D>, service: string) => signedEnvelope(def, payload, service, keyOf(service));
  /** Produces straight to a topic (the attacker has broker access); returns the message id. */
  const produce = async (topic: string, message: { key: string; value: string; headers: Record<string, string> }) => {
    await producer.sendTo(topic, [message]);
    return message.headers[Headers.messageId];
  };
  const deadLetter = (topic: string, messageId: string) =>
    watcher.waitFor((m) => m.topic === deadLetterTopicName(topic) && m.headers[Headers.messageId] === messageId, 30_000, `dead letter of ${messageId} on ${topic}`);
  const deadLetters = (messageId: string) => watcher.messages.filter((m) => m.topic.endsWith('.dlq') && m.headers[Headers.messageId] === messageId);
  const caAnswer = (requestId: string) =>
    watcher.waitFor((m) => m.topic === Topics.caEvents.name && m.json<Envelope<{ requestId?: string }>>().payload.requestId === requestId, 30_000, `the CA's answer to ${requestId}`);
  const ocspGood = async (der: Buffer) => {
    const answer = await openssl.ocsp(der);
    expect({ status: answer.status, verified: answer.verified }).toEqual({ status: 'good', verified: true });
    return answer;
  };
  const cardUserAuthentication = async (phone: Phone) => (await citizenCertificates(platform, phone.citizen.personId)).find((c) => c.kind === 'card-user-authentication')!;

  it('ATK-14: a proofing reply (ca.identity-proofing.completed) forged with an MNO-TSM key on its events topic is dead-lettered (TOPIC_NOT_ALLOWED); the enrollment does not advance', async () => {
    const citizen = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const app = new JpkiUiApp(platform.endpoints);
    // The CA is down, so the SP-TSM's proofing request waits unanswered: the moment a forged answer would count.
    const ca = platform.stack.get('jpki-ca');
    await ca.stop();
    try {
      const started = await app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: subscriber.msisdn, operator: 'docomo', keyMode: 'on-card' });
      const waiting = await waitUntil(async () => {
        const v = await app.enrollment(started.enrollmentId);
        return v.step === 'identity-proofing' ? v : undefined;
      }, 30_000, 'enrollment waiting for the CA');
      const forged = signedBy(IdentityProofingCompleted, { requestId: `${started.enrollmentId}:proofing`, verified: true, personId: citizen.personId }, 'mno-tsm-docomo');
      const messageId = await produce(Topics.mnoEvents.docomo.name, forged);
      const dead = await deadLetter(Topics.mnoEvents.docomo.name, messageId);
      expect(dead.headers[Headers.failureReason]).toBe('TOPIC_NOT_ALLOWED');
      expect(dead.headers[Headers.failureDetail]).toBe('ca.identity-proofing.completed does not travel on mno.docomo.events (declared: ca.events)');
      expect(dead.headers[Headers.failedBy]).toBe('sp-tsm');
      const still = await app.enrollment(started.enrollmentId);
      expect({ status: still.status, step: still.step, state: still.state }).toEqual({ status: 'running', step: 'identity-proofing', state: waiting.state });
      await ca.restart();
      // The genuine answer, not the forged one, decides: the enrollment completes once the CA is back.
      const done: EnrollmentView = await app.waitForEnrollment(started.enrollmentId);
      expect(done.status).toBe('completed');
    } finally {
      if (!ca.running) await ca.restart();
    }
  }, 180_000);

  it('ATK-15: a contract end on docomo’s topic, signed by docomo’s MNO-TSM, naming a KDDI subscriber is dead-lettered (CARRIER_MISMATCH); no case, the KDDI phone stays good', async () => {
    const at = new Date().toISOString();
    const { msisdn, iccid } = bob.subscriber;
    // claims docomo (matches the topic): lifecycle knows the SIM as KDDI's
    const asDocomo = await produce(Topics.mnoEvents.docomo.name, signedBy(ContractEnded, { carrier: 'docomo', msisdn, iccid, at }, 'mno-tsm-docomo'));
    const dead = await deadLetter(Topics.mnoEvents.docomo.name, asDocomo);
    expect(dead.headers[Headers.failureReason]).toBe('CARRIER_MISMATCH');
    expect(dead.headers[Headers.failureDetail]).toContain(`SIM ${iccid} is a kddi SIM: mno-tsm-docomo may not speak for it`);
    expect(dead.headers[Headers.failedBy]).toBe('lifecycle');
    // claims kddi on docomo's topic: refused by the inbox before any handler
    const asKddi = await produce(Topics.mnoEvents.docomo.name, signedBy(ContractEnded, { carrier: 'kddi', msisdn, iccid, at }, 'mno-tsm-docomo'));
    expect((await deadLetter(Topics.mnoEvents.docomo.name, asKddi)).headers[Headers.failureReason]).toBe('CARRIER_MISMATCH');

    expect(await casesOf(lifecycleApi(platform), { serial: bob.serial })).toEqual([]);
    await ocspGood(await certificateDer(platform, bob.citizen.personId, bob.serial));
    expect(await ssdState(platform, iccid)).toBe('unlocked');
  }, 90_000);

  it('ATK-16: genuine messages replayed onto another topic (lifecycle’s suspend command on ca.events, a docomo contract end on sptsm.events) are dead-lettered (TOPIC_NOT_ALLOWED); nothing happens', async () => {
    const suspend = signedBy(ServiceSuspendRequested, { requestId: `atk-susp-${randomUUID()}`, iccid: alice.subscriber.iccid, reason: 'LOSS' }, 'lifecycle');
    const replayedSuspend = await produce(Topics.caEvents.name, suspend);
    const dead = await deadLetter(Topics.caEvents.name, replayedSuspend);
    expect([dead.headers[Headers.failureReason], dead.headers[Headers.failureDetail], dead.headers[Headers.failedBy]]).toEqual([
      'TOPIC_NOT_ALLOWED',
      'sptsm.service.suspend-requested does not travel on ca.events (declared: sptsm.commands)',
      'sp-tsm',
    ]);
    const ended = signedBy(ContractEnded, { carrier: 'docomo', msisdn: alice.subscriber.msisdn, iccid: alice.subscriber.iccid, at: new Date().toISOString() }, 'mno-tsm-docomo');
    const replayedEnd = await produce(Topics.spTsmEvents.name, ended);
    expect((await deadLetter(Topics.spTsmEvents.name, replayedEnd)).headers[Headers.failureReason]).toBe('TOPIC_NOT_ALLOWED');

    expect(await ssdState(platform, alice.subscriber.iccid)).toBe('unlocked');
    expect(await casesOf(lifecycleApi(platform), { serial: alice.serial })).toEqual([]);
    await ocspGood(await certificateDer(platform, alice.citizen.personId, alice.serial));
  }, 90_000);

  it('ATK-17: a card-certificate revocation over ca.commands, sent by sp-tsm or by lifecycle, is refused (CARD_CERTIFICATE_OPERATOR_ONLY); OCSP for the card certificate stays good', async () => {
    const card = await cardUserAuthentication(alice);
    for (const sender of ['sp-tsm', 'lifecycle']) {
      for (const reason of ['keyCompromise', 'unspecified'] as const) {
        const requestId = `atk-card-${randomUUID()}`;
        await produce(Topics.caCommands.name, signedBy(RevocationRequested, { requestId, target: { by: 'serial', serial: card.serial }, reason, requestedBy: 'attacker' }, sender));
        const answer = (await caAnswer(requestId)).json<Envelope<{ reason: string; detail: string }>>();
        expect({ sender, type: answer.type, reason: answer.payload.reason }).toEqual({ sender, type: RevocationRefused.type, reason: 'CARD_CERTIFICATE_OPERATOR_ONLY' });
        expect(answer.payload.detail).toBe(`${card.serial} is a card-user-authentication certificate: card certificates change only through the CA's operator API, not by a command from ${sender}`);
      }
    }
    await ocspGood(Buffer.from(card.certificate, 'base64'));
    // no cascade either: the phone derived from the card stays good
    await ocspGood(await certificateDer(platform, alice.citizen.personId, alice.serial));
  }, 90_000);

  it('ATK-18: a phone-certificate hold sent by sp-tsm (lifecycle’s purpose) is refused (PURPOSE_NOT_ALLOWED), a hold release from sp-tsm is dead-lettered (PRODUCER_NOT_AUTHORIZED); OCSP stays good', async () => {
    const requestId = `atk-hold-${randomUUID()}`;
    await produce(Topics.caCommands.name, signedBy(RevocationRequested, { requestId, target: { by: 'serial', serial: alice.serial }, reason: 'certificateHold', requestedBy: 'attacker' }, 'sp-tsm'));
    const answer = (await caAnswer(requestId)).json<Envelope<{ reason: string; detail: string }>>();
    expect({ type: answer.type, reason: answer.payload.reason }).toEqual({ type: RevocationRefused.type, reason: 'PURPOSE_NOT_ALLOWED' });
    expect(answer.payload.detail).toMatch(/^a revocation \(certificateHold, by serial\) from sp-tsm: sp-tsm may only withdraw/);

    const release = await produce(Topics.caCommands.name, signedBy(HoldReleaseRequested, { requestId: `atk-rel-${randomUUID()}`, serial: alice.serial, requestedBy: 'attacker' }, 'sp-tsm'));
    const dead = await deadLetter(Topics.caCommands.name, release);
    expect([dead.headers[Headers.failureReason], dead.headers[Headers.failureDetail]]).toEqual([
      'PRODUCER_NOT_AUTHORIZED',
      'sp-tsm may not send ca.hold-release.requested on ca.commands (declared: lifecycle)',
    ]);
    const ocsp = await ocspGood(await certificateDer(platform, alice.citizen.personId, alice.serial));
    expect(ocsp.reason).toBeUndefined();
  }, 60_000);

  it('ATK-19: identity proofing and phone issuance asked by lifecycle (sp-tsm’s purpose) are dead-lettered (PRODUCER_NOT_AUTHORIZED); the CA answers nothing', async () => {
    const proofing = { requestId: `atk-prf-${randomUUID()}`, signedApplication: 'AAAA' };
    const issuance = {
      requestId: `atk-iss-${randomUUID()}`,
      personId: alice.citizen.personId,
      enrollmentId: `enr-${randomUUID()}`,
      device: { kind: 'sim' as const, iccid: alice.subscriber.iccid, msisdn: alice.subscriber.msisdn, carrier: 'docomo' as const },
      keySource: { mode: 'ca-generated' as const, recipient: 'lifecycle' },
    };
    const asked = [
      [await produce(Topics.caCommands.name, signedBy(IdentityProofingRequested, proofing, 'lifecycle')), proofing.requestId, IdentityProofingRequested.type],
      [await produce(Topics.caCommands.name, signedBy(CertificateIssuanceRequested, issuance, 'lifecycle')), issuance.requestId, CertificateIssuanceRequested.type],
    ] as const;
    for (const [messageId, requestId, type] of asked) {
      const dead = await deadLetter(Topics.caCommands.name, messageId);
      expect([dead.headers[Headers.failureReason], dead.headers[Headers.failureDetail]]).toEqual([
        'PRODUCER_NOT_AUTHORIZED',
        `lifecycle may not send ${type} on ca.commands (declared: sp-tsm)`,
      ]);
      expect(watcher.messages.some((m) => m.topic === Topics.caEvents.name && m.json<Envelope<{ requestId?: string }>>().payload.requestId === requestId)).toBe(false);
    }
  }, 60_000);

  describe('the simulation clock (these run last: the final one moves the clock)', () => {
    const integrator = () => lifecycleApi(platform, 'ivy', ['integrator']);
    const clock = () => integrator().get<ClockView>('/clock');

    const loggedEverywhere = (messageId: string) => [...platform.stack.services.values()].every((s) => readFileSync(s.logFile, 'utf8').includes(messageId));
    /**
     * Waits until every service's clock feed has read the message and logged why it ignored it (the log names its message
     * id), or until the clock moved; then the clock must not have moved, and every service must have ignored it.
     */
    const ignoredEverywhere = async (messageId: string) => {
      await waitUntil(async () => loggedEverywhere(messageId) || (await clock()).offsetMs !== 0, 30_000, `every service reading clock message ${messageId}`);
      expect((await clock()).offsetMs).toBe(0);
      await waitUntil(() => loggedEverywhere(messageId), 30_000, `every service ignoring clock message ${messageId}`);
    };

    /** The CA signs OCSP answers with machine time: the verdict "now" still verifies, with no status time in the future. */
    const ocspVerifiesNow = async () => {
      const answer = await ocspGood(await certificateDer(platform, bob.citizen.personId, bob.serial));
      expect(answer.output).not.toMatch(/Status times invalid|not yet valid/i);
      const producedAt = new Date(/Produced At: (.+)/.exec(answer.output)![1]).getTime();
      expect(Math.abs(producedAt - Date.now())).toBeLessThan(DAY_MS);
    };

    const clockMessage = (offsetDays: number, producer: string) => {
      const envelope: Envelope = {
        messageId: randomUUID(),
        type: SimulationClockSet.type,
        schemaVersion: SimulationClockSet.schemaVersion,
        correlationId: randomUUID(),
        causationId: null,
        occurredAt: new Date().toISOString(),
        producer,
        payload: { offsetMs: offsetDays * DAY_MS, setBy: 'attacker' },
      };
      return envelope;
    };

    it('ATK-13: POST /clock without the integrator role is refused (403 ROLE_REQUIRED, 401 AUTH_REQUIRED) and audited; nothing moves', async () => {
      const before = (await clock()).offsetMs;
      expect(await outcomeOf(lifecycleApi(platform, 'olga', ['operator', 'auditor']).post('/clock', { advanceDays: 10, reason: 'not mine to move' }))).toEqual({ status: 403, reason: 'ROLE_REQUIRED' });
      const anonymous = await fetch(`${platform.endpoints.lifecycle}/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceDays: 10 }) });
      expect(anonymous.status).toBe(401);
      expect((await clock()).offsetMs).toBe(before);
      const refused = await lifecycleApi(platform, 'carol', ['auditor']).get<AuditEntryView[]>('/audit?outcome=refused&limit=1000');
      expect(refused).toContainEqual(
        expect.objectContaining({ actor: 'operator:olga', action: 'clock.advance', outcome: 'refused:ROLE_REQUIRED', statusCode: 403, reason: 'not mine to move' }),
      );
      expect(refused).toContainEqual(expect.objectContaining({ actor: 'anonymous', action: 'clock.advance', statusCode: 401 }));
    }, 30_000);

    it('ATK-10: an unsigned clock message produced with kcat (claiming lifecycle) moves no service’s clock, not even after a restart that replays the topic', async () => {
      const forged = clockMessage(10, 'lifecycle');
      const topic = `${platform.topicPrefix}${Topics.platformClock.name}`;
      await new Promise<void>((resolve, reject) => {
        const kcat = execFile('kcat', ['-P', '-b', testKafkaBrokers()[0], ...kcatSasl(), '-t', topic, '-k', 'clock', '-H', `${Headers.messageId}=${forged.messageId}`], { timeout: 15_000 }, (err) =>
          err ? reject(err) : resolve(),
        );
        kcat.stdin!.end(`${JSON.stringify(forged)}\n`);
      });
      await ignoredEverywhere(forged.messageId);
      await ocspVerifiesNow();

      // The topic is kept forever and replayed at start: a restarted CA reads the forged message again and ignores it again.
      const ca = platform.stack.get('jpki-ca');
      await ca.stop();
      await ca.restart();
      await waitUntil(() => readFileSync(ca.logFile, 'utf8').split(forged.messageId).length - 1 >= 2, 30_000, 'the restarted CA replaying the clock topic');
      await ocspVerifiesNow();
      expect((await clock()).offsetMs).toBe(0);
    }, 120_000);

    it('ATK-11: clock messages signed with sp-tsm’s key (as sp-tsm, or claiming lifecycle) are ignored by every service', async () => {
      const asSpTsm = signedEnvelope(SimulationClockSet, { offsetMs: 10 * DAY_MS, setBy: 'sp-tsm' }, 'sp-tsm', keyOf('sp-tsm'));
      const claimingLifecycle = signedEnvelope(SimulationClockSet, { offsetMs: 11 * DAY_MS, setBy: 'sp-tsm' }, 'lifecycle', keyOf('sp-tsm'));
      for (const m of [asSpTsm, claimingLifecycle]) await produce(Topics.platformClock.name, m);
      for (const m of [asSpTsm, claimingLifecycle]) await ignoredEverywhere(m.headers[Headers.messageId]);
      await ocspVerifiesNow();
      // a broadcast topic has no dead-letter companion: nothing was dead-lettered anywhere either
      expect(deadLetters(asSpTsm.headers[Headers.messageId])).toEqual([]);
    }, 60_000);

    it('ATK-12: a jump beyond SIMULATION_CLOCK_MAX_JUMP_DAYS is refused by POST /clock (422 CLOCK_JUMP_TOO_LARGE) and, signed by lifecycle, ignored by every feed; a move within the bound moves every service', async () => {
      expect(await outcomeOf(integrator().post('/clock', { advanceDays: MAX_JUMP_DAYS + 1, reason: 'too far' }))).toEqual({ status: 422, reason: 'CLOCK_JUMP_TOO_LARGE' });
      expect(await outcomeOf(integrator().post('/clock', { offsetMs: (MAX_JUMP_DAYS + 1) * DAY_MS, reason: 'too far, absolute' }))).toEqual({ status: 422, reason: 'CLOCK_JUMP_TOO_LARGE' });
      expect((await clock()).offsetMs).toBe(0);

      const tooFar = signedEnvelope(SimulationClockSet, { offsetMs: (MAX_JUMP_DAYS + 1) * DAY_MS, setBy: 'stolen lifecycle key' }, 'lifecycle', keyOf('lifecycle'));
      await produce(Topics.platformClock.name, tooFar);
      await ignoredEverywhere(tooFar.headers[Headers.messageId]);
      await ocspVerifiesNow();

      // The control: the same key and route within the bound is followed by every service (the CA dates OCSP by it).
      const moved = await integrator().post<ClockView>('/clock', { advanceDays: 3, reason: 'within the bound' });
      expect(moved.offsetMs).toBe(3 * DAY_MS);
      const der = await certificateDer(platform, bob.citizen.personId, bob.serial);
      await waitUntil(async () => {
        const at = /Produced At: (.+)/.exec((await openssl.ocsp(der)).output)?.[1];
        return at && new Date(at).getTime() > Date.now() + 2 * DAY_MS;
      }, 20_000, 'the CA following the clock');
    }, 90_000);
  });
});
