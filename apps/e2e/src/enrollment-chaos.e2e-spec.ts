import { CARRIERS, ENROLLMENT_STEPS, EnrollmentStateChanged, Topics, type Carrier, type EnrollmentStep, type EnrollmentView, type KeyMode } from '@jpki/contracts';
import { createSubscriber, createTestCitizen, HttpJson, JpkiUiApp } from '@jpki/jpki-client';
import { kafkaClient } from '@jpki/messaging';
import { startPlatformUnderTest, testKafkaBrokers, TopicWatcher, type PlatformUnderTest } from '@jpki/testing';

/** Which process does the work of each saga step (the one we SIGKILL while the step runs). */
function handlerOf(step: EnrollmentStep, carrier: Carrier): string {
  switch (step) {
    case 'identity-proofing':
    case 'certificate-issuance':
      return 'jpki-ca';
    case 'eligibility':
    case 'ssd-creation':
      return `mno-tsm-${carrier}`;
    case 'key-handover':
    case 'key-provisioning':
      return 'vsim';
    case 'applet-install':
    case 'certificate-write':
    case 'activation':
      return 'sp-tsm';
  }
}

interface SimView {
  card: { registry: { kind: string }[] };
}
interface Person {
  certificates: { kind: string; status: string; serial: string }[];
}

/**
 * Chaos: for every step of the enrollment saga, the service doing that step is killed with
 * SIGKILL while the step runs, then restarted. Every enrollment must still complete exactly once:
 * one SSD, one applet and one certificate per SIM and person.
 */
describe('e2e chaos: a crash at any saga step', () => {
  let platform: PlatformUnderTest;
  let watcher: TopicWatcher;

  beforeAll(async () => {
    // A slower OTA bearer keeps card steps running long enough to be interrupted; short session
    // timeouts and leases let restarted instances take their partitions and sagas back quickly.
    const bearer = CARRIERS.map((c) => `${c}:latency=150`).join(';');
    platform = await startPlatformUnderTest({
      env: { KAFKA_SESSION_TIMEOUT_MS: '6000', SAGA_LEASE_MS: '3000' },
      serviceEnv: { vsim: { OTA_BEARER: bearer } },
    });
    watcher = await new TopicWatcher(kafkaClient('chaos-watch', testKafkaBrokers()), platform.topicPrefix).watch(Topics.spTsmEvents.name);
  }, 120_000);

  afterAll(async () => {
    await watcher?.stop();
    await platform?.stop();
  });

  const stepEntered = (enrollmentId: string, step: EnrollmentStep) =>
    watcher.waitFor((m) => {
      const b = m.json<{ type: string; payload: { enrollmentId: string; step: string | null } }>();
      return b.type === EnrollmentStateChanged.type && b.payload.enrollmentId === enrollmentId && b.payload.step === step;
    }, 60_000, `${enrollmentId} entering ${step}`);

  it.each(ENROLLMENT_STEPS.map((step, i) => [step, CARRIERS[i % 3], i % 2 === 0 ? 'on-card' : 'delivered'] as const))(
    'completes exactly once when the service doing %s is killed (%s, %s key)',
    async (step, carrier, keyMode: KeyMode) => {
      const e = platform.endpoints;
      const citizen = await createTestCitizen(e, platform.operatorToken);
      const subscriber = await createSubscriber(e, platform.operatorToken, carrier);
      const app = new JpkiUiApp(e);
      const started = await app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: subscriber.msisdn, operator: carrier, keyMode });
      if (step !== 'identity-proofing') await stepEntered(started.enrollmentId, step);
      const victim = platform.stack.get(handlerOf(step, carrier));
      await victim.stop('SIGKILL');
      await victim.restart();

      const done: EnrollmentView = await app.waitForEnrollment(started.enrollmentId, undefined, 180_000);
      expect(done).toMatchObject({ status: 'completed', state: 'operational' });

      const sim = await new HttpJson(e.vsim, platform.operatorToken).get<SimView>(`/sims/${subscriber.iccid}`);
      expect(sim.card.registry.filter((r) => r.kind === 'SSD')).toHaveLength(1);
      expect(sim.card.registry.filter((r) => r.kind === 'APP')).toHaveLength(1);
      const person = await new HttpJson(e.ca, platform.operatorToken).get<Person>(`/citizens/${citizen.personId}`);
      expect(person.certificates.filter((c) => c.kind === 'phone-user-authentication')).toEqual([
        expect.objectContaining({ status: 'good', serial: done.serial }),
      ]);
      expect(victim.restarts).toBeGreaterThan(0);
    },
    240_000,
  );
});
