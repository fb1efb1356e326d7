import { type AuditEntryView } from '@jpki/contracts';
import { createSubscriber, HttpJson } from '@jpki/jpki-client';
import { StackKeys, startPlatformUnderTest, type PlatformUnderTest } from '@jpki/testing';
import {
  casesOf,
  citizenCertificates,
  enrollPhone,
  knownToLifecycle,
  lifecycleApi,
  LIFECYCLE_SERVICES,
  outcomeOf,
  phoneOf,
  type Phone,
} from '../lifecycle-support';

interface SubscriberView {
  msisdn: string;
  iccid: string;
  status: string;
}

/**
 * Operator tokens are bound to an issuer, to the services they were minted for, to a carrier where one applies, and
 * to a bounded lifetime. Every service runs as its own process; the tokens come from the platform's IdP key (or, for
 * the forgeries, from a key the platform does not trust). Each refusal changes nothing and is audited.
 */
describe('attacks: operator tokens', () => {
  let platform: PlatformUnderTest;
  let kddiPhone: Phone;
  /** A KDDI subscriber without a phone certificate, for the suspend/resume attempts. */
  let kddiSubscriber: SubscriberView;

  const docomoOperator = () => platform.keys.operatorToken('dora@docomo', ['operator'], { carrier: 'docomo' });
  const kddi = () => new HttpJson(platform.endpoints.mno.kddi, platform.keys.operatorToken('kei@kddi', ['operator', 'auditor'], { carrier: 'kddi' }));
  const auditor = () => lifecycleApi(platform, 'audrey@audit', ['auditor']);
  const kddiSubscribers = async () => (await kddi().get<SubscriberView[]>('/subscribers?limit=1000')).map((s) => `${s.msisdn}:${s.status}`).sort();
  const lifecycleAudit = (outcome: string) => auditor().get<AuditEntryView[]>(`/audit?outcome=${encodeURIComponent(outcome)}&limit=1000`);
  const certificateStatus = async (phone: Phone) => (await citizenCertificates(platform, phone.citizen.personId)).find((c) => c.serial === phone.serial)?.status;

  /** What a refused lifecycle call must leave as it was: the phone, its cases and its certificate at the CA. */
  const phoneState = async (phone: Phone) => ({
    phone: await phoneOf(lifecycleApi(platform), { serial: phone.serial }),
    cases: (await casesOf(lifecycleApi(platform), { serial: phone.serial })).map((c) => c.caseId),
    certificate: await certificateStatus(phone),
  });

  const simPower = async (iccid: string) =>
    (await new HttpJson(platform.endpoints.vsim, platform.operatorToken).get<{ handset: { power: string } }>(`/sims/${iccid}`)).handset.power;
  const lossReport = (token: string, phone: Phone, reason: string) => outcomeOf(new HttpJson(platform.endpoints.lifecycle, token).post('/loss-reports', { msisdn: phone.subscriber.msisdn, reason }));

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: LIFECYCLE_SERVICES });
    kddiPhone = await enrollPhone(platform, 'kddi', 'on-card');
    await knownToLifecycle(lifecycleApi(platform), kddiPhone);
    kddiSubscriber = await createSubscriber(platform.endpoints, platform.keys.operatorToken('kei@kddi', ['operator'], { carrier: 'kddi' }), 'kddi');
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('ATK-40: a docomo operator creates, suspends and resumes subscribers on KDDI’s MNO-TSM → 403 CARRIER_SCOPE, KDDI’s fleet unchanged', async () => {
    const before = await kddiSubscribers();
    const onKddi = new HttpJson(platform.endpoints.mno.kddi, docomoOperator());
    expect(await outcomeOf(onKddi.post('/subscribers', {}))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect(await outcomeOf(onKddi.post(`/subscribers/${encodeURIComponent(kddiSubscriber.msisdn)}/suspend`, { note: 'cross-carrier' }))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect(await outcomeOf(onKddi.post(`/subscribers/${encodeURIComponent(kddiSubscriber.msisdn)}/resume`, { note: 'cross-carrier' }))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect(await outcomeOf(onKddi.get(`/subscribers/${encodeURIComponent(kddiSubscriber.msisdn)}`))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    // An unscoped token that is not the platform integrator is no KDDI operator either.
    const unscoped = new HttpJson(platform.endpoints.mno.kddi, platform.keys.operatorToken('uma@platform', ['operator']));
    expect(await outcomeOf(unscoped.post('/subscribers', {}))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });

    expect(await kddiSubscribers()).toEqual(before);
    expect(await kddi().get<SubscriberView>(`/subscribers/${encodeURIComponent(kddiSubscriber.msisdn)}`)).toMatchObject({ status: 'active' });
    // KDDI's audit log names the docomo operator's refused attempts.
    const audit = await kddi().get<{ actor: string; action: string; outcome: string }[]>(`/audit-log?actor=${encodeURIComponent('dora@docomo')}`);
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(
      expect.arrayContaining(['POST /subscribers:refused:CARRIER_SCOPE', 'POST /subscribers/:msisdn/suspend:refused:CARRIER_SCOPE', 'POST /subscribers/:msisdn/resume:refused:CARRIER_SCOPE']),
    );
    // The same token is a docomo operator's token on docomo's MNO-TSM (control).
    const own = await new HttpJson(platform.endpoints.mno.docomo, docomoOperator()).post<SubscriberView>('/subscribers', {});
    expect(own.status).toBe('provisioning');
  });

  it('ATK-41: a docomo operator ends a KDDI phone’s service through lifecycle → 403 CARRIER_SCOPE, no case, certificate still good', async () => {
    const before = await phoneState(kddiPhone);
    const api = new HttpJson(platform.endpoints.lifecycle, docomoOperator());
    const selector = { msisdn: kddiPhone.subscriber.msisdn };
    expect(await outcomeOf(api.post('/revocations', { ...selector, reason: 'contract ended at a docomo shop', revocationReason: 'cessationOfOperation' }))).toEqual({
      status: 403,
      reason: 'CARRIER_SCOPE',
    });
    expect(await outcomeOf(api.post('/loss-reports', { serial: kddiPhone.serial, reason: 'reported at a docomo shop' }))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    // Nor may it read the KDDI phone or its cases.
    expect(await outcomeOf(api.get(`/phones?${new URLSearchParams(selector)}`))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect(await api.get<unknown[]>(`/cases?${new URLSearchParams({ serial: kddiPhone.serial })}`)).toEqual([]);
    // At the SP-TSM the KDDI number's enrollments are invisible to it, not to a KDDI operator.
    const enrollments = (token: string) => new HttpJson(platform.endpoints.spTsm, token).get<{ enrollmentIds: string[] }>(`/enrollments?${new URLSearchParams(selector)}`);
    expect(await enrollments(docomoOperator())).toEqual({ enrollmentIds: [] });
    expect((await enrollments(platform.keys.operatorToken('kei@kddi', ['operator'], { carrier: 'kddi' }))).enrollmentIds).toContain(kddiPhone.enrollmentId);

    expect(await phoneState(kddiPhone)).toEqual(before);
    expect(before.certificate).toBe('good');
    const refused = (await lifecycleAudit('refused:CARRIER_SCOPE')).filter((e) => e.actor === 'operator:dora@docomo');
    expect(refused.map((e) => `${e.action}:${e.statusCode}`)).toEqual(expect.arrayContaining(['revocation.request:403', 'loss.report:403', 'phone.read:403']));
  });

  it('ATK-42: a token minted for jpki-ca is used on lifecycle → 401 TOKEN_AUDIENCE, nothing opened', async () => {
    const before = await phoneState(kddiPhone);
    const caToken = platform.keys.operatorToken('cato@kddi', ['operator'], { carrier: 'kddi', audience: ['jpki-ca'] });
    expect(await lossReport(caToken, kddiPhone, 'token replayed from the CA console')).toEqual({ status: 401, reason: 'TOKEN_AUDIENCE' });
    expect(await phoneState(kddiPhone)).toEqual(before);
    expect((await lifecycleAudit('refused:TOKEN_AUDIENCE')).map((e) => [e.action, e.actor, e.details['claimedSubject']])).toContainEqual(['loss.report', 'anonymous', 'cato@kddi']);
    // Where it was minted for, it is a valid token (control).
    const ca = new HttpJson(platform.endpoints.ca, platform.keys.operatorToken('cato@kddi', ['operator'], { audience: ['jpki-ca'] }));
    expect((await ca.get<{ personId: string }>(`/citizens/${kddiPhone.citizen.personId}`)).personId).toBe(kddiPhone.citizen.personId);
  });

  it('ATK-43: a token from another issuer, signed by an untrusted key, or unsigned → 401 (TOKEN_ISSUER, AUTH_INVALID), nothing opened', async () => {
    const before = await phoneState(kddiPhone);
    const otherIssuer = platform.keys.operatorToken('ivy@kddi', ['operator'], { carrier: 'kddi', issuer: 'https://idp.example.net' });
    expect(await lossReport(otherIssuer, kddiPhone, 'token of another IdP')).toEqual({ status: 401, reason: 'TOKEN_ISSUER' });
    const untrustedKey = new StackKeys(['lifecycle']).operatorToken('ivy@kddi', ['operator'], { carrier: 'kddi' });
    expect(await lossReport(untrustedKey, kddiPhone, 'token signed by a key of my own')).toEqual({ status: 401, reason: 'AUTH_INVALID' });
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = JSON.parse(Buffer.from(platform.operatorToken.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: 'ivy@kddi', iat: now, nbf: now, exp: now + 600 })}.`;
    expect(await lossReport(unsigned, kddiPhone, 'alg none')).toEqual({ status: 401, reason: 'AUTH_INVALID' });

    expect(await phoneState(kddiPhone)).toEqual(before);
    expect((await lifecycleAudit('refused:TOKEN_ISSUER')).map((e) => e.details['claimedSubject'])).toContain('ivy@kddi');
    expect((await lifecycleAudit('refused:AUTH_INVALID')).filter((e) => e.details['claimedSubject'] === 'ivy@kddi').length).toBeGreaterThanOrEqual(2);
  });

  it('ATK-44: a token living longer than the maximum, or not valid yet → 401 (TOKEN_LIFETIME, TOKEN_NOT_YET_VALID), nothing opened', async () => {
    const before = await phoneState(kddiPhone);
    const longLived = platform.keys.operatorToken('lee@kddi', ['operator'], { carrier: 'kddi', ttlSeconds: 13 * 3600 });
    expect(await lossReport(longLived, kddiPhone, 'a token for the whole week')).toEqual({ status: 401, reason: 'TOKEN_LIFETIME' });
    const early = platform.keys.operatorToken('lee@kddi', ['operator'], { carrier: 'kddi', notBeforeSeconds: 3600 });
    expect(await lossReport(early, kddiPhone, 'a token for tomorrow')).toEqual({ status: 401, reason: 'TOKEN_NOT_YET_VALID' });

    expect(await phoneState(kddiPhone)).toEqual(before);
    expect((await lifecycleAudit('refused:TOKEN_LIFETIME')).map((e) => e.details['claimedSubject'])).toContain('lee@kddi');
    expect((await lifecycleAudit('refused:TOKEN_NOT_YET_VALID')).map((e) => e.details['claimedSubject'])).toContain('lee@kddi');
    // The KDDI operator's ordinary token still works on the same phone (control): it only reads.
    expect((await phoneOf(new HttpJson(platform.endpoints.lifecycle, platform.keys.operatorToken('lee@kddi', ['operator'], { carrier: 'kddi' })), { serial: kddiPhone.serial })).serial).toBe(
      kddiPhone.serial,
    );
  });

  it('ATK-45: a docomo operator switches a KDDI SIM’s handset or inspects the SIM at the vSIM → 403 CARRIER_SCOPE, the power unchanged', async () => {
    const iccid = kddiSubscriber.iccid;
    const before = await simPower(iccid);
    const vsim = new HttpJson(platform.endpoints.vsim, platform.keys.operatorToken('dora@docomo', ['operator', 'auditor', 'integrator'], { carrier: 'docomo' }));
    expect(await outcomeOf(vsim.put(`/sims/${iccid}/handset`, { power: before === 'on' ? 'off' : 'on' }))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect(await outcomeOf(vsim.get(`/sims/${iccid}`))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect(await simPower(iccid)).toBe(before);
  });

  it('ATK-46: a docomo-scoped integrator moves the simulation clock or runs the renewal sweep of every carrier → 403 CARRIER_SCOPE, clock unchanged, audited', async () => {
    const api = new HttpJson(platform.endpoints.lifecycle, platform.keys.operatorToken('ida@docomo', ['integrator', 'operator'], { carrier: 'docomo' }));
    const before = (await lifecycleApi(platform).get<{ offsetMs: number }>('/clock')).offsetMs;
    expect(await outcomeOf(api.post('/clock', { advanceDays: 1, reason: 'docomo wants its renewals early' }))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect(await outcomeOf(api.post('/renewals/sweep'))).toEqual({ status: 403, reason: 'CARRIER_SCOPE' });
    expect((await lifecycleApi(platform).get<{ offsetMs: number }>('/clock')).offsetMs).toBe(before);
    const refused = (await lifecycleAudit('refused:CARRIER_SCOPE')).filter((e) => e.actor === 'operator:ida@docomo');
    expect(refused.map((e) => e.action)).toEqual(expect.arrayContaining(['clock.advance', 'renewal.sweep']));
  });

  it('ATK-47: a docomo operator reads or changes a KDDI subscriber’s person, certificates or card at the CA → 403 CARRIER_SCOPE, nothing changed', async () => {
    const before = await phoneState(kddiPhone);
    const person = kddiPhone.citizen.personId;
    const ca = new HttpJson(platform.endpoints.ca, docomoOperator());
    const scoped = { status: 403, reason: 'CARRIER_SCOPE' };
    expect(await outcomeOf(ca.get(`/citizens/${person}`))).toEqual(scoped);
    expect(await outcomeOf(ca.get(`/certificates/${kddiPhone.serial}`))).toEqual(scoped);
    expect(await outcomeOf(ca.post(`/certificates/${kddiPhone.serial}/revocation`, { reason: 'certificateHold', comment: 'reported at a docomo shop' }))).toEqual(scoped);
    expect(await outcomeOf(ca.post(`/certificates/${kddiPhone.serial}/hold-release`, {}))).toEqual(scoped);
    // The card is the municipality's: no carrier's operator revokes, renews or issues one, not even for its own subscribers.
    expect(await outcomeOf(ca.post(`/citizens/${person}/card/revocation`, { certificates: 'both', reason: 'keyCompromise' }))).toEqual(scoped);
    expect(await outcomeOf(ca.post(`/citizens/${person}/card/renewal`, { signingPassword: 'RENEW2026', userAuthenticationPin: '2468' }))).toEqual(scoped);
    const docomoIntegrator = new HttpJson(platform.endpoints.ca, platform.keys.operatorToken('ida@docomo', ['integrator'], { carrier: 'docomo' }));
    const card = { name: '試験 越境', gender: 'other', dateOfBirth: '1990-01-01', address: '東京都千代田区霞が関2-1-2', prefecture: '東京都', municipality: '千代田区', signingPassword: 'DOCOMO2026', userAuthenticationPin: '1357' };
    expect(await outcomeOf(docomoIntegrator.post('/citizens', card))).toEqual(scoped);
    // The CA's audit log spans every carrier.
    expect(await outcomeOf(new HttpJson(platform.endpoints.ca, platform.keys.operatorToken('dana@docomo', ['auditor'], { carrier: 'docomo' })).get('/audit'))).toEqual(scoped);

    expect(await phoneState(kddiPhone)).toEqual(before);
    expect(before.certificate).toBe('good');
    // KDDI's own operator sees the person with the KDDI phone certificate and may act on it (control).
    const kddiCa = new HttpJson(platform.endpoints.ca, platform.keys.operatorToken('kei@kddi', ['operator'], { carrier: 'kddi' }));
    const seen = await kddiCa.get<{ certificates: { serial: string; kind: string }[] }>(`/citizens/${person}`);
    expect(seen.certificates.map((c) => c.serial)).toContain(kddiPhone.serial);
    expect(await kddiCa.get<{ serial: string; status: string }>(`/certificates/${kddiPhone.serial}`)).toMatchObject({ serial: kddiPhone.serial, status: 'good' });
    expect(await outcomeOf(kddiCa.post(`/citizens/${person}/card/revocation`, { certificates: 'both', reason: 'keyCompromise' }))).toEqual(scoped);
    expect(await certificateStatus(kddiPhone)).toBe('good');
  });
});
