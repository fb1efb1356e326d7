import { type AuditEntryView, type CaseView } from '@jpki/contracts';
import { createSubscriber, createTestCitizen, enrollAndAuthenticate, HttpJson, JpkiUiApp, authenticate, type TestCitizen } from '@jpki/jpki-client';
import { VirtualMyNumberCard } from '@jpki/mynumber-card';
import { startPlatformUnderTest, waitUntil, type PlatformUnderTest } from '@jpki/testing';
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
  phoneOf,
  setPower,
  ssdState,
  waitForCase,
  waitForCaseOf,
  type Phone,
} from './lifecycle-support';

/**
 * The flows the platform starts itself — device change, SIM swap and contract end notified by the carrier, card
 * revocation and card renewal at the CA — and two races (a loss report against a device change, a contract end
 * against a running enrollment), on one platform of separate processes. Final state checked everywhere: OpenSSL
 * OCSP and CRL, the vsim card registry, the carrier's subscriber, the CA's view of the person, cases and sagas.
 */
describe('e2e lifecycle: device change, carrier notifications, card cascade, races', () => {
  let platform: PlatformUnderTest;
  let openssl: OpenSslJudge;
  let api: HttpJson;
  const phones: Record<'device' | 'swap' | 'contract' | 'cardRevoked' | 'cardRenewed' | 'raceLoss', Phone> = {} as never;

  const mno = (phone: Phone) => new HttpJson(platform.endpoints.mno[phone.subscriber.carrier], platform.operatorToken);
  const der = (phone: Phone) => certificateDer(platform, phone.citizen.personId, phone.serial);
  const auditOf = (caseId: string) => lifecycleApi(platform, 'carol', ['auditor']).get<AuditEntryView[]>(`/audit?caseId=${caseId}`);

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: LIFECYCLE_SERVICES });
    openssl = await OpenSslJudge.create(platform);
    api = lifecycleApi(platform);
    const setups: [keyof typeof phones, Parameters<typeof enrollPhone>[1], Parameters<typeof enrollPhone>[2]][] = [
      ['device', 'docomo', 'on-card'],
      ['swap', 'softbank', 'delivered'],
      ['contract', 'mineo', 'on-card'],
      ['cardRevoked', 'kddi', 'delivered'],
      ['cardRenewed', 'docomo', 'delivered'],
      ['raceLoss', 'softbank', 'on-card'],
    ];
    await Promise.all(
      setups.map(async ([name, operator, keyMode]) => {
        phones[name] = await enrollPhone(platform, operator, keyMode);
        await knownToLifecycle(api, phones[name]);
      }),
    );
  }, 240_000);

  afterAll(async () => {
    await openssl?.dispose();
    await platform?.stop();
  });

  it('device change: the new phone supersedes the old one; the old SSD deletion waits for the old phone to come online', async () => {
    const old = phones.device;
    await setPower(platform, old.subscriber.iccid, 'off');
    const next = await enrollPhone(platform, 'kddi', 'on-card', old.citizen);

    await openssl.waitForOcsp(await der(old), 'revoked', 'superseded');
    await openssl.waitForCrl(old.serial, 'Superseded');
    expect((await openssl.ocsp(await certificateDer(platform, old.citizen.personId, next.serial))).status).toBe('good');
    const change = await waitForCaseOf(api, { serial: old.serial }, 'device-change');
    expect(change).toMatchObject({ status: 'waiting-device', trigger: 'ca', iccid: old.subscriber.iccid, revocationReason: 'superseded', outcomes: { service: 'queued' } });
    expect(await ssdState(platform, old.subscriber.iccid)).toBe('unlocked');

    await setPower(platform, old.subscriber.iccid, 'on');
    expect(await waitForCase(api, change.caseId, (c) => c.status === 'completed')).toMatchObject({ outcomes: { service: 'done' } });
    expect(await ssdState(platform, old.subscriber.iccid)).toBe('absent');
    expect(await phoneOf(api, { serial: old.serial })).toMatchObject({ certificate: { status: 'revoked', revocationReason: 'superseded' }, service: { state: 'terminated' } });
    expect(await auditOf(change.caseId)).toContainEqual(expect.objectContaining({ actor: 'system:jpki-ca', action: 'device-change.open', outcome: 'accepted' }));
    expect(await phoneOf(api, { personId: old.citizen.personId })).toMatchObject({ serial: next.serial, certificate: { status: 'good' }, service: { state: 'operational' } });
    expect(await authenticate(platform.endpoints, next.subscriber.handset, '2580')).toMatchObject({ ok: true, serial: next.serial });
  }, 120_000);

  it('SIM swap notified by the carrier: certificate revoked (cessationOfOperation), old SSD deleted, person told to re-enroll', async () => {
    const phone = phones.swap;
    await mno(phone).post(`/subscribers/${encodeURIComponent(phone.subscriber.msisdn)}/sim-swap`, {});
    const swap = await waitForCaseOf(api, { iccid: phone.subscriber.iccid }, 'sim-swap');
    expect(swap).toMatchObject({ status: 'completed', trigger: 'carrier', outcomes: { certificate: 'revoked:cessationOfOperation', service: 'done' } });
    expect(swap.result['newIccid']).toMatch(/^89/);
    await openssl.waitForOcsp(await der(phone), 'revoked', 'cessationOfOperation');
    await openssl.waitForCrl(phone.serial, 'Cessation Of Operation');
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('absent');
    expect(await phoneOf(api, { serial: phone.serial })).toMatchObject({
      reenrollmentRequired: true,
      service: { state: 'terminated' },
      sim: { closedReason: 'sim-swapped', replacedBy: swap.result['newIccid'] },
    });
  }, 90_000);

  it('contract end notified by the carrier: certificate revoked, SSD deleted, subscriber closed by the carrier', async () => {
    const phone = phones.contract;
    await mno(phone).post(`/subscribers/${encodeURIComponent(phone.subscriber.msisdn)}/contract-end`, { note: 'customer moved abroad' });
    const ended = await waitForCaseOf(api, { iccid: phone.subscriber.iccid }, 'contract-end');
    expect(ended).toMatchObject({ status: 'completed', outcomes: { certificate: 'revoked:cessationOfOperation', service: 'done' } });
    expect(ended.saga?.history.filter((h) => h.outcome === 'completed').map((h) => h.step)).toEqual(['certificate-revocation', 'service-termination']);
    await openssl.waitForOcsp(await der(phone), 'revoked', 'cessationOfOperation');
    await openssl.waitForCrl(phone.serial, 'Cessation Of Operation');
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('absent');
    expect(await mno(phone).get(`/subscribers/${encodeURIComponent(phone.subscriber.msisdn)}`)).toMatchObject({ status: 'cancelled' });
    expect(await phoneOf(api, { serial: phone.serial })).toMatchObject({ service: { state: 'terminated' }, sim: { closedReason: 'contract-ended' } });
    expect(await auditOf(ended.caseId)).toContainEqual(expect.objectContaining({ actor: 'system:mno-tsm-kddi', action: 'contract-end.open', outcome: 'accepted' }));
  }, 90_000);

  it('card revocation at the CA: the cascade revoked the phone certificate; the SSD is deleted and the person must re-enroll', async () => {
    const phone = phones.cardRevoked;
    await new HttpJson(platform.endpoints.ca, platform.operatorToken).post(`/citizens/${phone.citizen.personId}/card/revocation`, {
      certificates: 'both',
      reason: 'keyCompromise',
      comment: 'card stolen',
    });
    const card = await waitForCaseOf(api, { personId: phone.citizen.personId }, 'card-revocation');
    expect(card).toMatchObject({ status: 'completed', trigger: 'ca', outcomes: { certificate: 'cascaded', service: 'done' } });
    expect((card.result['cardSerials'] as string[]).length).toBe(2);
    expect(card.result['revokedSerials']).toEqual([phone.serial]);
    await openssl.waitForOcsp(await der(phone), 'revoked', 'cessationOfOperation');
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('absent');
    expect(await phoneOf(api, { serial: phone.serial })).toMatchObject({ reenrollmentRequired: true, certificate: { status: 'revoked' }, service: { state: 'terminated' } });
    expect(card.saga?.history.filter((h) => h.outcome === 'completed').map((h) => h.step)).toEqual(['phone-certificates-revoked', 'service-terminations']);
    expect(await auditOf(card.caseId)).toContainEqual(expect.objectContaining({ actor: 'system:jpki-ca', action: 'card-revocation.open' }));
  }, 90_000);

  it('card renewal: new card, old card certificates superseded, phone revoked and re-enrolled with the new card on the same SIM', async () => {
    const phone = phones.cardRenewed;
    const renewed = await new HttpJson(platform.endpoints.ca, platform.operatorToken).post<{ cardFile: unknown; superseded: { serial: string }[]; cascaded: { serial: string }[] }>(
      `/citizens/${phone.citizen.personId}/card/renewal`,
      { signingPassword: 'RENEW2025', userAuthenticationPin: '4321' },
    );
    expect(renewed.superseded).toHaveLength(2);
    expect(renewed.cascaded.map((c) => c.serial)).toEqual([phone.serial]);
    const card = await waitForCaseOf(api, { personId: phone.citizen.personId }, 'card-renewal');
    expect(card).toMatchObject({ status: 'completed', outcomes: { certificate: 'cascaded', service: 'done' } });
    await openssl.waitForOcsp(await der(phone), 'revoked', 'cessationOfOperation');
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('absent');
    expect(await phoneOf(api, { serial: phone.serial })).toMatchObject({ reenrollmentRequired: true });

    const holder: TestCitizen = { personId: phone.citizen.personId, card: VirtualMyNumberCard.open(renewed.cardFile), signingPassword: 'RENEW2025', cardPin: '4321' };
    const again = await enrollAndAuthenticate(platform.endpoints, holder, phone.subscriber, phone.operator, 'on-card');
    expect(again.enrollment.status).toBe('completed');
    expect(again.login).toMatchObject({ ok: true, serial: again.enrollment.serial });
    await waitUntil(async () => (await phoneOf(api, { personId: holder.personId })).serial === again.enrollment.serial, 20_000, 're-enrolled phone known');
    expect(await phoneOf(api, { personId: holder.personId })).toMatchObject({ reenrollmentRequired: false, certificate: { status: 'good' } });
  }, 120_000);

  it('race: a loss report during a device change ends with the old certificate revoked and its SSD never left unlocked', async () => {
    const old = phones.raceLoss;
    const subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'kddi');
    const app = new JpkiUiApp(platform.endpoints);
    const started = await app.startEnrollment({ card: old.citizen.card, signingPassword: old.citizen.signingPassword, msisdn: subscriber.msisdn, operator: 'kddi', keyMode: 'on-card' });
    await waitUntil(async () => ['certificate-issuance', 'certificate-write', 'activation', null].includes((await app.enrollment(started.enrollmentId)).step), 60_000, 'issuance');
    const reported = await outcomeOf(lifecycleApi(platform, 'dave', ['operator']).post<CaseView>('/loss-reports', { serial: old.serial, reason: 'lost during the move to a new phone' }));
    const enrollment = await app.waitForEnrollment(started.enrollmentId);
    expect(enrollment.status).toBe('completed');

    if ('caseId' in reported) {
      // The report won the race at the lifecycle service: the hold landed first (then superseded) or the CA refused it.
      const settled = await waitForCase(api, reported.caseId, (c) => c.status === 'completed' || c.status === 'failed');
      expect(settled.status).toBe('completed');
      expect(['on-hold', 'refused:ALREADY_REVOKED']).toContain(settled.outcomes.certificate);
    } else {
      // The supersession was already known: the report is refused, precisely.
      expect(reported).toEqual({ status: 409, reason: 'CERTIFICATE_ALREADY_REVOKED' });
    }
    await waitForCaseOf(api, { serial: old.serial }, 'device-change', (c) => c.status === 'completed');
    await openssl.waitForOcsp(await der(old), 'revoked', 'superseded');
    expect(await ssdState(platform, old.subscriber.iccid)).not.toBe('unlocked');
    const certificates = await citizenCertificates(platform, old.citizen.personId);
    expect(certificates.filter((c) => c.kind === 'phone-user-authentication' && c.status !== 'revoked').map((c) => c.serial)).toEqual([enrollment.serial]);
  }, 120_000);

  it('race: a contract end during a running enrollment leaves no active certificate and no SSD on the cancelled SIM', async () => {
    const citizen = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const app = new JpkiUiApp(platform.endpoints);
    const started = await app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: subscriber.msisdn, operator: 'docomo', keyMode: 'on-card' });
    await waitUntil(async () => ['applet-install', 'key-provisioning', 'certificate-issuance', 'certificate-write', 'activation', null].includes((await app.enrollment(started.enrollmentId)).step), 60_000, 'SSD created');
    await new HttpJson(platform.endpoints.mno.docomo, platform.operatorToken).post(`/subscribers/${encodeURIComponent(subscriber.msisdn)}/contract-end`, { note: 'race' });
    const enrollment = await app.waitForEnrollment(started.enrollmentId);

    await waitUntil(async () => {
      const cases = await casesOf(api, { iccid: subscriber.iccid });
      return cases.length > 0 && cases.every((c) => c.status === 'completed' || c.status === 'failed') ? cases : undefined;
    }, 60_000, 'every case of the cancelled SIM settled');
    // Late events (the issuance or the completion after the contract end) open follow-up cases: let them settle too.
    await new Promise((r) => setTimeout(r, 1500));
    await waitUntil(async () => (await casesOf(api, { iccid: subscriber.iccid })).every((c) => c.status === 'completed' || c.status === 'failed'), 60_000, 'follow-ups settled');

    const active = (await citizenCertificates(platform, citizen.personId)).filter((c) => c.kind === 'phone-user-authentication' && c.status !== 'revoked');
    expect(active).toEqual([]);
    expect(await ssdState(platform, subscriber.iccid)).toBe('absent');
    expect(await new HttpJson(platform.endpoints.mno.docomo, platform.operatorToken).get(`/subscribers/${encodeURIComponent(subscriber.msisdn)}`)).toMatchObject({ status: 'cancelled' });
    if (enrollment.serial) await openssl.waitForOcsp(await certificateDer(platform, citizen.personId, enrollment.serial), 'revoked');
  }, 120_000);
});
