import { type AuditEntryView, type CaseView } from '@jpki/contracts';
import { authenticate, HttpJson } from '@jpki/jpki-client';
import { startPlatformUnderTest, type PlatformUnderTest } from '@jpki/testing';
import {
  casesOf,
  certificateDer,
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
  type Phone,
} from './lifecycle-support';

/**
 * Loss, found and revocation for good, operator-driven, with every service as its own process on the real broker
 * and database. Final state checked everywhere: OCSP and CRL through the OpenSSL CLI, the card registry of the
 * vsim (SSD locked, unlocked, deleted), the case with its saga history, the audit log, and a relying-party login.
 */
describe('e2e lifecycle: loss, found, revocation for good', () => {
  let platform: PlatformUnderTest;
  let openssl: OpenSslJudge;
  let phone: Phone;
  let other: Phone;
  let der: Buffer;

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: LIFECYCLE_SERVICES });
    openssl = await OpenSslJudge.create(platform);
    [phone, other] = await Promise.all([enrollPhone(platform, 'kddi', 'on-card'), enrollPhone(platform, 'iijmio', 'delivered')]);
    der = await certificateDer(platform, phone.citizen.personId, phone.serial);
    await Promise.all([knownToLifecycle(lifecycleApi(platform), phone), knownToLifecycle(lifecycleApi(platform), other)]);
  }, 180_000);

  afterAll(async () => {
    await openssl?.dispose();
    await platform?.stop();
  });

  it('loss: certificateHold visible over OCSP, listed on the CRL, SSD locked, login refused; audited', async () => {
    const api = lifecycleApi(platform, 'alice', ['operator']);
    expect((await openssl.ocsp(der)).status).toBe('good');
    const opened = await api.post<CaseView>('/loss-reports', { msisdn: phone.subscriber.msisdn, reason: 'holder called the hotline; identity checked by phone PIN questions' });
    expect(opened).toMatchObject({ kind: 'loss', status: 'open', trigger: 'operator', openedBy: 'operator:alice', serial: phone.serial, iccid: phone.subscriber.iccid });

    const ocsp = await openssl.waitForOcsp(der, 'revoked', 'certificateHold');
    expect(ocsp.verified).toBe(true);
    await openssl.waitForCrl(phone.serial, 'Certificate Hold');

    const done = await waitForCase(lifecycleApi(platform), opened.caseId);
    expect(done).toMatchObject({ status: 'completed', outcomes: { certificate: 'on-hold', service: 'done' }, failure: null });
    expect(done.saga?.history.filter((h) => h.outcome === 'completed').map((h) => h.step)).toEqual(['certificate-hold', 'ssd-lock']);
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('locked');
    await expect(authenticate(platform.endpoints, phone.subscriber.handset, '2580')).rejects.toThrow();
    expect(await phoneOf(lifecycleApi(platform), { serial: phone.serial })).toMatchObject({ lost: true, certificate: { status: 'on-hold' }, service: { state: 'suspended' } });

    const audit = await lifecycleApi(platform, 'carol', ['auditor']).get<AuditEntryView[]>(`/audit?caseId=${opened.caseId}`);
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'operator:alice', roles: ['operator'], action: 'loss.report', outcome: 'accepted', statusCode: 202 }));
    expect(audit[0].reason).toContain('hotline');
  }, 60_000);

  it('found: hold released (OCSP good, off the CRL), SSD unlocked, login works again', async () => {
    const api = lifecycleApi(platform, 'alice', ['operator']);
    const opened = await api.post<CaseView>('/found-reports', { iccid: phone.subscriber.iccid, reason: 'holder found it at home' });
    const done = await waitForCase(lifecycleApi(platform), opened.caseId);
    expect(done).toMatchObject({ kind: 'found', status: 'completed', outcomes: { certificate: 'released', service: 'done' } });
    expect((await openssl.waitForOcsp(der, 'good')).verified).toBe(true);
    await openssl.waitForCrl(phone.serial, null);
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('unlocked');
    expect(await authenticate(platform.endpoints, phone.subscriber.handset, '2580')).toMatchObject({ ok: true, serial: phone.serial });
    expect(await phoneOf(lifecycleApi(platform), { iccid: phone.subscriber.iccid })).toMatchObject({ lost: false, certificate: { status: 'good' }, service: { state: 'operational' } });
  }, 60_000);

  it('lost again while off, never found: hold, lock queued; revoked for good (keyCompromise), SSD deleted when it comes back', async () => {
    const api = lifecycleApi(platform, 'bob', ['operator']);
    await setPower(platform, phone.subscriber.iccid, 'off');
    const loss = await api.post<CaseView>('/loss-reports', { serial: phone.serial, reason: 'stolen; police report 2024-118' });
    await openssl.waitForOcsp(der, 'revoked', 'certificateHold');
    expect(await waitForCase(lifecycleApi(platform), loss.caseId)).toMatchObject({ status: 'waiting-device', outcomes: { certificate: 'on-hold', service: 'queued' } });

    const revocation = await api.post<CaseView>('/revocations', { serial: phone.serial, reason: 'not found after 30 days' });
    expect(revocation).toMatchObject({ kind: 'revocation', revocationReason: 'keyCompromise' });
    const revoked = await openssl.waitForOcsp(der, 'revoked', 'keyCompromise');
    expect(revoked.verified).toBe(true);
    await openssl.waitForCrl(phone.serial, 'Key Compromise');
    expect(await waitForCase(lifecycleApi(platform), revocation.caseId)).toMatchObject({ status: 'waiting-device', outcomes: { certificate: 'revoked:keyCompromise', service: 'queued' } });
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('unlocked');

    await setPower(platform, phone.subscriber.iccid, 'on');
    expect(await waitForCase(lifecycleApi(platform), revocation.caseId, (c) => c.status === 'completed')).toMatchObject({ outcomes: { service: 'done' } });
    expect(await waitForCase(lifecycleApi(platform), loss.caseId, (c) => c.status === 'completed')).toMatchObject({ outcomes: { service: 'done' } });
    expect(await ssdState(platform, phone.subscriber.iccid)).toBe('absent');
    expect(await phoneOf(lifecycleApi(platform), { serial: phone.serial })).toMatchObject({ certificate: { status: 'revoked', revocationReason: 'keyCompromise' }, service: { state: 'terminated' } });
  }, 90_000);

  it('bad input: precise 4xx, no state change, and every refused attempt is audited', async () => {
    const erin = lifecycleApi(platform, 'erin', ['operator']);
    const carol = lifecycleApi(platform, 'carol', ['auditor']);
    const anonymous = new HttpJson(platform.endpoints.lifecycle);
    const casesBefore = (await casesOf(lifecycleApi(platform), { personId: phone.citizen.personId })).length;

    expect(await outcomeOf(erin.post('/loss-reports', { msisdn: '+819099990000', reason: 'caller gave an unknown number' }))).toEqual({ status: 404, reason: 'SUBSCRIBER_UNKNOWN' });
    expect(await outcomeOf(erin.post('/loss-reports', { serial: 'ABCDEF0123456789', reason: 'typo in the serial' }))).toEqual({ status: 404, reason: 'PHONE_UNKNOWN' });
    expect(await outcomeOf(carol.post('/loss-reports', { serial: other.serial, reason: 'an auditor tries to act' }))).toEqual({ status: 403, reason: 'ROLE_REQUIRED' });
    expect(await outcomeOf(anonymous.post('/loss-reports', { serial: other.serial, reason: 'no token' }))).toEqual({ status: 401, reason: 'AUTH_REQUIRED' });
    expect(await outcomeOf(erin.post('/loss-reports', { serial: other.serial, iccid: other.subscriber.iccid }))).toEqual({ status: 400, reason: 'VALIDATION_FAILED' });
    expect(await outcomeOf(erin.post('/found-reports', { serial: other.serial, reason: 'found but never lost' }))).toEqual({ status: 409, reason: 'NOT_LOST' });
    expect(await outcomeOf(erin.post('/loss-reports', { serial: phone.serial, reason: 'revoked phone reported lost' }))).toEqual({ status: 409, reason: 'CERTIFICATE_ALREADY_REVOKED' });
    expect(await outcomeOf(erin.post('/revocations', { iccid: phone.subscriber.iccid, reason: 'revoke twice' }))).toEqual({ status: 409, reason: 'CERTIFICATE_ALREADY_REVOKED' });

    const first = await erin.post<CaseView>('/loss-reports', { msisdn: other.subscriber.msisdn, reason: 'first call' });
    expect(await outcomeOf(erin.post('/loss-reports', { msisdn: other.subscriber.msisdn, reason: 'the holder called again' }))).toEqual({ status: 409, reason: 'ALREADY_REPORTED' });
    expect(await outcomeOf(erin.post('/revocations', { msisdn: other.subscriber.msisdn, reason: 'while the loss runs' }))).toMatchObject({ status: 409 });
    expect(await waitForCase(lifecycleApi(platform), first.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'on-hold' } });

    // Nothing changed for the refused attempts: one loss case for the other phone, none more for the revoked one.
    expect((await casesOf(lifecycleApi(platform), { serial: other.serial })).map((c) => c.kind)).toEqual(['loss']);
    expect((await casesOf(lifecycleApi(platform), { personId: phone.citizen.personId })).length).toBe(casesBefore);
    expect((await openssl.ocsp(der)).reason).toBe('keyCompromise');

    const refused = await carol.get<AuditEntryView[]>('/audit?outcome=refused&limit=1000');
    const find = (reason: string) => refused.find((e) => e.outcome === `refused:${reason}`);
    expect(find('SUBSCRIBER_UNKNOWN')).toMatchObject({ actor: 'operator:erin', action: 'loss.report', target: 'msisdn:+819099990000', statusCode: 404, reason: 'caller gave an unknown number' });
    expect(find('PHONE_UNKNOWN')).toMatchObject({ actor: 'operator:erin', statusCode: 404 });
    expect(find('ROLE_REQUIRED')).toMatchObject({ actor: 'operator:carol', roles: ['auditor'], action: 'loss.report', statusCode: 403 });
    expect(find('AUTH_REQUIRED')).toMatchObject({ actor: 'anonymous', action: 'loss.report', statusCode: 401 });
    expect(find('VALIDATION_FAILED')).toMatchObject({ actor: 'operator:erin', statusCode: 400 });
    expect(find('NOT_LOST')).toMatchObject({ action: 'found.report', statusCode: 409 });
    expect(find('ALREADY_REPORTED')).toMatchObject({ action: 'loss.report', statusCode: 409, reason: 'the holder called again' });
    expect(refused.filter((e) => e.outcome === 'refused:CERTIFICATE_ALREADY_REVOKED').map((e) => e.action).sort()).toEqual(['loss.report', 'revocation.request']);
  }, 60_000);
});
