import type { CertificateRow, IssuanceRow } from '../storage/types';
import { RenewalPolicy, renewalProblemUnderLock } from './renewal-policy';

const DAY = 86_400_000;
const now = new Date('2030-01-01T00:00:00Z');
const device = { kind: 'sim' as const, iccid: '8981100000000000012', msisdn: '+819012345678', carrier: 'docomo' as const };
const spki = Buffer.from('spki');

function certificate(overrides: Partial<CertificateRow> = {}): CertificateRow {
  return {
    serial: 'AA01',
    issuerCa: 'user-authentication',
    kind: 'phone-user-authentication',
    personId: 'p1',
    requestId: 'enr-1:issuance',
    enrollmentId: 'enr-1',
    device,
    seid: device.iccid,
    der: Buffer.alloc(0),
    notBefore: new Date(now.getTime() - 60 * DAY),
    notAfter: new Date(now.getTime() + 60 * DAY),
    issuedAt: new Date(now.getTime() - 60 * DAY),
    status: 'good',
    revocationReason: null,
    revokedAt: null,
    statusVersion: 1,
    ...overrides,
  };
}

function policy(previous: CertificateRow | undefined, maxDays?: number): RenewalPolicy {
  const store = {
    findCertificate: async () => previous,
    findIssuance: async () => ({ subjectPublicKeyInfo: spki }) as IssuanceRow,
  };
  return new RenewalPolicy(store as never, { PHONE_CERTIFICATE_MAX_DAYS: maxDays } as never);
}

const request = { personId: 'p1', device: { ...device, msisdn: '+819087654321' } };

describe('renewal policy (same applet, same key)', () => {
  it('renews a good certificate of the same person and SIM inside the window, with the same key (the MSISDN may have changed)', async () => {
    expect(await policy(certificate()).decide(request, 'AA01', now)).toMatchObject({ ok: true, subjectPublicKeyInfo: spki });
  });

  it.each([
    ['RENEWAL_PREVIOUS_UNKNOWN', undefined],
    ['RENEWAL_NOT_A_PHONE_CERTIFICATE', certificate({ kind: 'card-user-authentication' })],
    ['RENEWAL_PERSON_MISMATCH', certificate({ personId: 'p2' })],
    ['RENEWAL_PREVIOUS_NOT_GOOD', certificate({ status: 'on-hold', revocationReason: 'certificateHold' })],
    ['RENEWAL_PREVIOUS_NOT_GOOD', certificate({ status: 'revoked', revocationReason: 'superseded' })],
    ['RENEWAL_PREVIOUS_EXPIRED', certificate({ notAfter: new Date(now.getTime() - 1) })],
    ['RENEWAL_DEVICE_MISMATCH', certificate({ device: { ...device, iccid: '8981100000000000020' } })],
    ['RENEWAL_TOO_EARLY', certificate({ notAfter: new Date(now.getTime() + 200 * DAY) })],
  ])('refuses %s', async (reason, previous) => {
    expect(await policy(previous).decide(request, 'AA01', now)).toMatchObject({ ok: false, reason });
  });

  it('refuses a renewal that would not run longer (the card bounds it): renew the card and apply again', () => {
    const previous = certificate();
    expect(policy(previous).extends(previous, previous.notAfter)).toMatchObject({ ok: false, reason: 'RENEWAL_NOT_EXTENDING' });
    expect(policy(previous).extends(previous, new Date(previous.notAfter.getTime() + DAY))).toBeUndefined();
  });

  it('caps phone validity with PHONE_CERTIFICATE_MAX_DAYS, else the profile maximum', () => {
    expect(policy(undefined, 120).phoneValidityDays(1922)).toBe(120);
    expect(policy(undefined).phoneValidityDays(1922)).toBe(1922);
  });

  it('under the person lock: the active certificate on the device must still be good (a loss report won the race)', () => {
    const allocation = { device } as IssuanceRow;
    expect(renewalProblemUnderLock([certificate()], allocation)).toBeUndefined();
    expect(renewalProblemUnderLock([certificate({ status: 'on-hold', revocationReason: 'certificateHold' })], allocation)).toMatchObject({ reason: 'RENEWAL_PREVIOUS_NOT_GOOD' });
    expect(renewalProblemUnderLock([], allocation)).toMatchObject({ reason: 'RENEWAL_PREVIOUS_NOT_GOOD' });
  });
});
