import { hostCarrierOf, type Carrier, type EnrollmentView, type KeyMode, type MvnoId } from '@jpki/contracts';
import { createSubscriber, createTestCitizen, HttpJson, JpkiUiApp } from '@jpki/jpki-client';
import { startPlatformUnderTest, type PlatformUnderTest } from '@jpki/testing';

interface SimView {
  card: { registry: { kind: string }[] };
}

/**
 * Security of the provisioning path with every service as its own process: after the SSD is
 * handed to the SP, an MNO-TSM that alters or replays the SP's script APDUs is caught by the card
 * (C-MAC / counter) and the saga reports it; requests for subscribers who may not have the service
 * fail at eligibility with a precise reason and leave nothing on the card.
 */
describe('e2e: provisioning security', () => {
  let platform: PlatformUnderTest;

  beforeAll(async () => {
    platform = await startPlatformUnderTest({
      env: { KAFKA_SESSION_TIMEOUT_MS: '6000' },
      serviceEnv: {
        'mno-tsm-softbank': { MNO_SCRIPT_TAMPERING: 'alter' },
        'mno-tsm-kddi': { MNO_SCRIPT_TAMPERING: 'replay' },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  async function enroll(operator: Carrier | MvnoId, keyMode: KeyMode, msisdn?: string, iccid?: string): Promise<{ view: EnrollmentView; iccid?: string }> {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const sub = msisdn ? { msisdn, iccid } : await createSubscriber(e, platform.operatorToken, operator);
    const app = new JpkiUiApp(e);
    const started = await app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: sub.msisdn, operator, keyMode });
    return { view: await app.waitForEnrollment(started.enrollmentId, undefined, 180_000), iccid: sub.iccid };
  }

  const registry = async (iccid: string) => (await new HttpJson(platform.endpoints.vsim, platform.operatorToken).get<SimView>(`/sims/${iccid}`)).card.registry;

  it.each([
    ['softbank', 'alters'],
    ['kddi', 'replays'],
  ] as [Carrier, string][])('detects a %s MNO-TSM that %s SP script APDUs, fails the enrollment and removes the SSD', async (carrier) => {
    const { view, iccid } = await enroll(carrier, 'on-card');
    // Detected at the first SP script the card can tell was altered or replayed (handover or later).
    expect(view).toMatchObject({ status: 'failed', state: 'in-error' });
    expect(['key-handover', 'applet-install', 'key-provisioning']).toContain(view.step);
    expect(view.failure?.reason).toMatch(/^SECURE_CHANNEL_(REJECTED|INTEGRITY)$/);
    expect(view.history.map((h) => h.outcome)).toContain('compensated');
    // The compensation asked the MNO to delete the SP's SSD: nothing of the SP is left on the card.
    expect((await registry(iccid!)).filter((r) => r.kind === 'SSD' || r.kind === 'APP')).toHaveLength(0);
  }, 240_000);

  it('enrolls normally through an honest carrier on the same platform (control)', async () => {
    const { view } = await enroll('docomo', 'delivered');
    expect(view.status).toBe('completed');
  }, 120_000);

  const refusals: [string, () => Promise<{ msisdn: string; iccid?: string }>, string][] = [
    [
      'a SIM generation that cannot host the applet',
      async () => createSubscriber(platform.endpoints, platform.operatorToken, 'docomo', 'docomo-uim-legacy'),
      'SIM_GENERATION_UNSUPPORTED',
    ],
    ['an unknown subscriber', async () => ({ msisdn: '+819099990000' }), 'SUBSCRIBER_UNKNOWN'],
    [
      'a cancelled contract',
      async () => {
        const sub = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
        await new HttpJson(platform.endpoints.mno[hostCarrierOf('docomo')], platform.operatorToken).post(`/subscribers/${encodeURIComponent(sub.msisdn)}/contract-end`, {});
        return sub;
      },
      'SUBSCRIBER_NOT_ACTIVE',
    ],
  ];

  it.each(refusals)('refuses %s at eligibility, without retries, leaving nothing on the card', async (_what, subscriber, reason) => {
    const sub = await subscriber();
    const { view } = await enroll('docomo', 'on-card', sub.msisdn, sub.iccid);
    expect(view).toMatchObject({ status: 'failed', step: 'eligibility', failure: { reason } });
    expect(view.history.filter((h) => h.outcome.startsWith('retry'))).toHaveLength(0);
    if (sub.iccid) expect((await registry(sub.iccid)).filter((r) => r.kind === 'SSD' || r.kind === 'APP')).toHaveLength(0);
  }, 120_000);
});
