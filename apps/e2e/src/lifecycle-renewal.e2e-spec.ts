import { createSubscriber, createTestCitizen, HttpJson, JpkiUiApp, type TestCitizen } from '@jpki/jpki-client';
import { VirtualMyNumberCard } from '@jpki/mynumber-card';
import { decodeCertificate, formatSerialNumber } from '@jpki/pki';
import { startPlatformUnderTest, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import {
  appletCertificate,
  certificateDer,
  citizenCertificates,
  enrollPhone,
  knownToLifecycle,
  lifecycleApi,
  LIFECYCLE_SERVICES,
  OpenSslJudge,
  outcomeOf,
  phoneOf,
  relyingPartyCheck,
  waitForCaseOf,
  type Phone,
} from './lifecycle-support';

const DAY_MS = 86_400_000;

interface ClockView {
  now: string;
  offsetMs: number;
  offsetDays: number;
}

/**
 * The environment's simulation clock, renewal on the same applet and expiry. The CA caps phone certificates at 120 days
 * (PHONE_CERTIFICATE_MAX_DAYS) so that renewal has something to extend; the card's user-authentication certificate
 * still bounds every phone certificate. One platform; the clock only moves forward, so the tests run in order.
 */
describe('e2e lifecycle: simulation clock, renewal, expiry', () => {
  let platform: PlatformUnderTest;
  let openssl: OpenSslJudge;
  let renewable: Phone;
  let renewedSerial: string;
  let cardBound: TestCitizen;

  const integrator = () => lifecycleApi(platform, 'ivy', ['integrator']);
  const clock = () => integrator().get<ClockView>('/clock');
  const advance = (days: number, reason: string) => integrator().post<ClockView>('/clock', { advanceDays: days, reason });
  /** Time as every service of the environment reads it (machine time + the offset). */
  const simulatedNow = async () => {
    const { offsetMs } = await clock();
    return () => new Date(Date.now() + offsetMs);
  };

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: LIFECYCLE_SERVICES, serviceEnv: { 'jpki-ca': { PHONE_CERTIFICATE_MAX_DAYS: '120' } } });
    openssl = await OpenSslJudge.create(platform);
    // A holder whose card ends about four years from now (the 5th birthday after issuance is close).
    const birthday = new Date(Date.now() + 9 * 3600_000 + 12 * DAY_MS);
    const dateOfBirth = `1991-${String(birthday.getUTCMonth() + 1).padStart(2, '0')}-${String(Math.min(birthday.getUTCDate(), 28)).padStart(2, '0')}`;
    // SoftBank's SSDs run SCP03 in S16 mode: the renewal's card steps must reopen the SSD in the mode recorded at enrollment.
    [renewable, cardBound] = await Promise.all([enrollPhone(platform, 'softbank', 'on-card'), createTestCitizen(platform.endpoints, platform.operatorToken, { dateOfBirth })]);
    await knownToLifecycle(lifecycleApi(platform), renewable);
  }, 180_000);

  afterAll(async () => {
    await openssl?.dispose();
    await platform?.stop();
  });

  it('the clock: integrators only, forward only, and every service follows it', async () => {
    expect(await outcomeOf(lifecycleApi(platform, 'olga', ['operator']).post('/clock', { advanceDays: 1, reason: 'try' }))).toEqual({ status: 403, reason: 'ROLE_REQUIRED' });
    const moved = await advance(40, 'jump into the renewal window');
    expect(moved.offsetDays).toBeCloseTo(40, 3);
    expect(await outcomeOf(integrator().post('/clock', { offsetMs: 1_000, reason: 'back in time' }))).toEqual({ status: 409, reason: 'CLOCK_NOT_FORWARD' });
    // The CA dates its OCSP responses with the environment's clock.
    const der = await certificateDer(platform, renewable.citizen.personId, renewable.serial);
    const producedAt = await waitUntil(async () => {
      const at = /Produced At: (.+)/.exec((await openssl.ocsp(der)).output)?.[1];
      return at && Math.abs(new Date(at).getTime() - new Date(moved.now).getTime()) < DAY_MS ? at : undefined;
    }, 15_000, 'the CA follows the clock');
    expect(new Date(producedAt).getTime()).toBeGreaterThan(Date.now() + 39 * DAY_MS);
  }, 60_000);

  it('renewal before expiry: the CA re-issues for the same key, the SP-TSM writes it to the same applet', async () => {
    const api = lifecycleApi(platform);
    const renewal = await waitForCaseOf(api, { serial: renewable.serial }, 'renewal', (c) => c.status !== 'open', 120_000);
    expect(renewal).toMatchObject({ status: 'completed', trigger: 'schedule', outcomes: { service: 'certificate-written' } });
    const issued = renewal.result['renewal'] as { serial: string; notAfter: string };
    renewedSerial = issued.serial;
    const now = (await simulatedNow())();
    expect(new Date(issued.notAfter).getTime()).toBeGreaterThan(now.getTime() + 119 * DAY_MS);

    const onCard = await appletCertificate(platform.endpoints, renewable.subscriber.handset);
    const oldDer = await certificateDer(platform, renewable.citizen.personId, renewable.serial);
    expect(formatSerialNumber(decodeCertificate(onCard).tbs.serialNumber)).toBe(renewedSerial);
    expect(decodeCertificate(onCard).tbs.subjectPublicKeyInfo.equals(decodeCertificate(oldDer).tbs.subjectPublicKeyInfo)).toBe(true);
    expect((await openssl.waitForOcsp(oldDer, 'revoked', 'superseded')).status).toBe('revoked');
    await openssl.waitForCrl(renewable.serial, 'Superseded');
    expect((await openssl.ocsp(onCard)).status).toBe('good');
    expect(await relyingPartyCheck(platform.endpoints, renewable.subscriber.handset, now)).toEqual({ ok: true, serial: renewedSerial });
    expect(await phoneOf(api, { iccid: renewable.subscriber.iccid })).toMatchObject({ serial: renewedSerial, enrollmentId: renewable.enrollmentId, certificate: { status: 'good' }, expired: false });
    // No device change was mistaken for it: the service stays.
    expect((await api.get<{ kind: string }[]>(`/cases?serial=${renewable.serial}`)).map((c) => c.kind)).toEqual(['renewal']);
  }, 150_000);

  it('expiry: once the clock passes notAfter, relying parties refuse the certificate (EXPIRED) and the holder is told', async () => {
    const card = (await citizenCertificates(platform, cardBound.personId)).find((c) => c.kind === 'card-user-authentication')!;
    const target = new Date(card.notAfter).getTime() - 100 * DAY_MS;
    const moved = await advance((target - new Date((await clock()).now).getTime()) / DAY_MS, 'years later: the card is close to its end');
    const now = new Date(moved.now);
    const view = await waitUntil(async () => {
      const phone = await phoneOf(lifecycleApi(platform), { iccid: renewable.subscriber.iccid });
      return phone.expired && phone.reenrollmentRequired ? phone : undefined;
    }, 30_000, 'expiry noticed');
    expect(view).toMatchObject({ serial: renewedSerial, certificate: { status: 'good' } });
    expect(await relyingPartyCheck(platform.endpoints, renewable.subscriber.handset, now)).toEqual({ ok: false, reason: 'CERTIFICATE_EXPIRED', serial: renewedSerial });
  }, 60_000);

  it('a phone certificate never outlives the card: renewal refused at the card’s end; after the card renewal the holder applies again', async () => {
    const api = lifecycleApi(platform);
    const e = platform.endpoints;
    const cardNotAfter = new Date((await citizenCertificates(platform, cardBound.personId)).find((c) => c.kind === 'card-user-authentication')!.notAfter);
    const enrollAt = async (holder: TestCitizen) => {
      const now = await simulatedNow();
      const subscriber = await createSubscriber(e, platform.operatorToken, 'softbank');
      const app = new JpkiUiApp(e, now);
      const enrollment = await app.enroll({
        card: holder.card,
        signingPassword: holder.signingPassword,
        msisdn: subscriber.msisdn,
        operator: 'softbank',
        keyMode: 'on-card',
        handset: subscriber.handset,
        phonePin: '2580',
      });
      return { enrollment, subscriber, now };
    };

    const first = await enrollAt(cardBound);
    expect(first.enrollment.status).toBe('completed');
    const phone = await waitUntil(async () => {
      const seen = await outcomeOf(phoneOf(api, { iccid: first.subscriber.iccid }));
      return 'serial' in seen && seen.service.state === 'operational' ? seen : undefined;
    }, 30_000, 'phone known');
    expect(phone.notAfter).toBe(cardNotAfter.toISOString());

    await advance(25, 'into the renewal window of the card-bound phone');
    const refused = await waitForCaseOf(api, { serial: phone.serial }, 'renewal', (c) => c.status !== 'open', 120_000);
    expect(refused).toMatchObject({ status: 'failed', failure: { reason: 'RENEWAL_NOT_EXTENDING' } });
    expect(await phoneOf(api, { serial: phone.serial })).toMatchObject({ reenrollmentRequired: true, certificate: { status: 'good' } });

    const moved = await advance(100, 'past the card’s end');
    expect(await relyingPartyCheck(e, first.subscriber.handset, new Date(moved.now))).toMatchObject({ ok: false, reason: 'CERTIFICATE_EXPIRED' });
    const withOldCard = await enrollAt(cardBound);
    expect(withOldCard.enrollment).toMatchObject({ status: 'failed', failure: { reason: 'CERTIFICATE_EXPIRED' } });

    const renewed = await new HttpJson(e.ca, platform.operatorToken).post<{ cardFile: unknown }>(`/citizens/${cardBound.personId}/card/renewal`, {
      signingPassword: 'NEWCARD2031',
      userAuthenticationPin: '8642',
    });
    const holder: TestCitizen = { personId: cardBound.personId, card: VirtualMyNumberCard.open(renewed.cardFile), signingPassword: 'NEWCARD2031', cardPin: '8642' };
    const again = await enrollAt(holder);
    expect(again.enrollment.status).toBe('completed');
    expect(await relyingPartyCheck(e, again.subscriber.handset, again.now())).toEqual({ ok: true, serial: again.enrollment.serial });
  }, 240_000);
});
