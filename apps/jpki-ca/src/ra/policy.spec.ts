import { fifthBirthdayAfter } from './citizens.service';
import { canonicalJson } from './canonical';
import { cardProblem } from './card-policy';
import { phoneEnrollmentApplicationSchema } from '@jpki/contracts';
import type { CertificateRow } from '../storage/types';
import type { OperatorPrincipal } from '@jpki/service-kit';
import { personCertificatesInScope, requireCertificateScope, requireMunicipalScope } from './operator-scope';

const DAY = 86_400_000;

function card(kind: CertificateRow['kind'], overrides: Partial<CertificateRow> = {}): CertificateRow {
  const now = Date.now();
  return {
    serial: kind === 'card-signing' ? '01' : '02',
    issuerCa: kind === 'card-signing' ? 'digital-signature' : 'user-authentication',
    kind,
    personId: '00000000-0000-4000-8000-000000000001',
    requestId: `card:${kind}`,
    enrollmentId: null,
    device: null,
    seid: null,
    der: Buffer.alloc(0),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 100 * DAY),
    issuedAt: new Date(now - DAY),
    status: 'good',
    revocationReason: null,
    revokedAt: null,
    statusVersion: 1,
    ...overrides,
  };
}

describe('card validity: the 5th birthday after issuance (docs/DESIGN.md §3.3)', () => {
  it('counts from the next birthday, ending 23:59:59 JST', () => {
    expect(fifthBirthdayAfter(new Date('2026-11-25T10:00:00Z'), '1990-04-01').toISOString()).toBe('2031-04-01T14:59:59.000Z');
    expect(fifthBirthdayAfter(new Date('2026-11-25T10:00:00Z'), '1985-12-31').toISOString()).toBe('2030-12-31T14:59:59.000Z');
  });

  it('uses the JST calendar day and handles the birthday itself', () => {
    // 2026-04-01 10:00 JST is the birthday: already passed 00:00 JST, but 23:59:59 JST is still ahead → this year counts
    expect(fifthBirthdayAfter(new Date('2026-04-01T01:00:00Z'), '1990-04-01').toISOString()).toBe('2030-04-01T14:59:59.000Z');
  });

  it('moves a 29 February birthday to 1 March in common years', () => {
    expect(fifthBirthdayAfter(new Date('2026-06-01T00:00:00Z'), '2000-02-29').toISOString()).toBe('2031-03-01T14:59:59.000Z');
  });
});

describe('card policy for phone issuance', () => {
  it('needs both card certificates good and current', () => {
    const now = new Date();
    expect(cardProblem({ 'card-signing': card('card-signing'), 'card-user-authentication': card('card-user-authentication') }, now)).toBeUndefined();
    expect(cardProblem({ 'card-signing': card('card-signing') }, now)?.reason).toBe('CARD_CERTIFICATE_MISSING');
    expect(
      cardProblem({ 'card-signing': card('card-signing', { status: 'revoked', revocationReason: 'affiliationChanged', revokedAt: now }), 'card-user-authentication': card('card-user-authentication') }, now),
    ).toMatchObject({ reason: 'CARD_CERTIFICATE_REVOKED', detail: expect.stringContaining('affiliationChanged') });
    expect(
      cardProblem({ 'card-signing': card('card-signing'), 'card-user-authentication': card('card-user-authentication', { status: 'on-hold', revocationReason: 'certificateHold', revokedAt: now }) }, now)?.reason,
    ).toBe('CARD_CERTIFICATE_REVOKED');
    expect(
      cardProblem({ 'card-signing': card('card-signing'), 'card-user-authentication': card('card-user-authentication', { notAfter: new Date(now.getTime() - 1) }) }, now)?.reason,
    ).toBe('CARD_CERTIFICATE_EXPIRED');
  });
});

describe('phone-enrollment application schema', () => {
  const valid = {
    purpose: 'phone-enrollment',
    nonce: 'c2ltdWxhdGVkLW5vbmNlLTE',
    requestedAt: '2026-11-25T10:00:00+09:00',
    carrier: 'docomo',
    msisdn: '+819012345678',
    keyMode: 'on-device',
  };

  it('accepts a carrier or an MVNO application', () => {
    expect(phoneEnrollmentApplicationSchema.parse(valid)).toMatchObject({ deviceKind: 'sim' });
    expect(phoneEnrollmentApplicationSchema.safeParse({ ...valid, carrier: undefined, mvno: 'iijmio' }).success).toBe(true);
  });

  it.each([
    ['both carrier and MVNO', { mvno: 'mineo' }],
    ['neither carrier nor MVNO', { carrier: undefined }],
    ['an unknown field', { imei: '3520990012345678' }],
    ['a short nonce', { nonce: 'abc' }],
    ['a foreign MSISDN', { msisdn: '+14155550100' }],
    ['another purpose', { purpose: 'login' }],
    ['an over-long device model', { deviceModel: 'x'.repeat(65) }],
  ])('refuses %s', (_why, overrides) => {
    expect(phoneEnrollmentApplicationSchema.safeParse({ ...valid, ...overrides }).success).toBe(false);
  });
});

describe('canonical JSON (request digests)', () => {
  it('ignores key order and undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });
});

describe('operator scope at the CA (carrier staff reach only their phone certificates)', () => {
  const operator = (carrier?: 'docomo' | 'kddi'): OperatorPrincipal => ({ iss: 'idp', sub: 'op', aud: ['jpki-ca'], roles: ['operator'], ...(carrier ? { carrier } : {}), iat: 0, nbf: 0, exp: 1 }) as OperatorPrincipal;
  const phone = (serial: string, carrier: 'docomo' | 'kddi') =>
    card('card-user-authentication', { serial, kind: 'phone-user-authentication', device: { kind: 'sim', iccid: '8981100000000000001', msisdn: '+819012345678', carrier } });
  const iphone = card('card-user-authentication', { serial: '0A', kind: 'phone-user-authentication', device: { kind: 'iphone', deviceId: 'device-0001' } });
  const person = [card('card-signing'), card('card-user-authentication'), phone('03', 'docomo'), phone('04', 'kddi'), iphone];
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as { getResponse(): { reason: string } }).getResponse().reason;
    }
    return 'allowed';
  };

  it('platform staff see every certificate; a carrier sees the card and its own phone certificates only', () => {
    expect(personCertificatesInScope(operator(), 'p', person).map((c) => c.serial)).toEqual(['01', '02', '03', '04', '0A']);
    expect(personCertificatesInScope(operator('docomo'), 'p', person).map((c) => c.serial)).toEqual(['01', '02', '03']);
    expect(personCertificatesInScope(operator('kddi'), 'p', person).map((c) => c.serial)).toEqual(['01', '02', '04']);
  });

  it('a person without a phone on the carrier is refused, as is another carrier’s, a card or an iPhone certificate', () => {
    expect(refusal(() => personCertificatesInScope(operator('docomo'), 'p', [card('card-signing'), phone('04', 'kddi'), iphone]))).toBe('CARRIER_SCOPE');
    expect(refusal(() => requireCertificateScope(operator('docomo'), phone('04', 'kddi')))).toBe('CARRIER_SCOPE');
    expect(refusal(() => requireCertificateScope(operator('docomo'), card('card-signing')))).toBe('CARRIER_SCOPE');
    expect(refusal(() => requireCertificateScope(operator('docomo'), iphone))).toBe('CARRIER_SCOPE');
    expect(refusal(() => requireCertificateScope(operator('docomo'), phone('03', 'docomo')))).toBe('allowed');
    expect(refusal(() => requireCertificateScope(operator(), card('card-signing')))).toBe('allowed');
  });

  it('card acts are the municipality’s: carrier staff are refused', () => {
    expect(refusal(() => requireMunicipalScope(operator('kddi'), 'revoking a card'))).toBe('CARRIER_SCOPE');
    expect(refusal(() => requireMunicipalScope(operator(), 'revoking a card'))).toBe('allowed');
  });
});
