import type { ProofingRecord } from '../storage/types';
import { admitProofing } from './proofing-records';
import type { IssuanceRequest } from './issuance.service';

const NOW = new Date('2026-06-01T12:00:00Z');
const MAX_AGE_SECONDS = 1800;
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const SIGNING_SERIAL = '0A1B2C';

const simApplication = { purpose: 'phone-enrollment', nonce: 'n'.repeat(24), carrier: 'docomo', msisdn: '+819012345678', keyMode: 'on-device', deviceKind: 'sim' };

const record = (overrides: Partial<ProofingRecord> = {}): ProofingRecord => ({
  requestId: 'enr-1:proofing',
  verified: true,
  reason: null,
  personId: ALICE,
  signingCertificateSerial: SIGNING_SERIAL,
  application: simApplication,
  decidedAt: new Date(NOW.getTime() - 60_000),
  consumedBy: null,
  signingConsumedBy: null,
  consumedAt: null,
  ...overrides,
});

const request = (overrides: Partial<IssuanceRequest> = {}): IssuanceRequest => ({
  requestId: 'enr-1:issuance',
  personId: ALICE,
  enrollmentId: 'enr-1',
  device: { kind: 'sim', iccid: '8981100000000000001', msisdn: '+819012345678', carrier: 'docomo' },
  proofingRequestId: 'enr-1:proofing',
  keySource: { mode: 'csr', csr: 'AAAA' },
  ...overrides,
});

const decide = (req: IssuanceRequest, rec: ProofingRecord | undefined, currentSigningSerial: string | undefined = SIGNING_SERIAL) =>
  admitProofing(req, rec, currentSigningSerial, NOW, MAX_AGE_SECONDS);

describe('admitProofing: a phone issuance consumes the CA’s own proofing record', () => {
  it('admits a fresh, verified, unused record and issues to its person and card', () => {
    expect(decide(request(), record())).toEqual({
      ok: true,
      subject: { proofingRequestId: 'enr-1:proofing', personId: ALICE, signingCertificateSerial: SIGNING_SERIAL, application: simApplication },
    });
  });

  it('admits the record again for the request that consumed it (a redelivery is not a second issuance)', () => {
    expect(decide(request(), record({ consumedBy: 'enr-1:issuance', consumedAt: NOW })).ok).toBe(true);
  });

  it.each([
    ['no proofing named', request({ proofingRequestId: undefined }), record(), 'PROOFING_REQUIRED'],
    ['a proofing the CA never made', request(), undefined, 'PROOFING_NOT_FOUND'],
    ['a refused proofing', request(), record({ verified: false, reason: 'SIGNATURE_INVALID', personId: null, application: null }), 'PROOFING_NOT_VERIFIED'],
    ['a record another issuance consumed', request(), record({ consumedBy: 'enr-2:issuance', consumedAt: NOW }), 'PROOFING_ALREADY_USED'],
    ['a record older than the bound', request(), record({ decidedAt: new Date(NOW.getTime() - MAX_AGE_SECONDS * 1000 - 1000) }), 'PROOFING_EXPIRED'],
    ['another person than the record’s', request({ personId: BOB }), record(), 'PROOFING_PERSON_MISMATCH'],
    ['another number than the signed application’s', request({ device: { kind: 'sim', iccid: '8981100000000000001', msisdn: '+819099999999', carrier: 'docomo' } }), record(), 'APPLICATION_MISMATCH'],
    ['another operator', request({ device: { kind: 'sim', iccid: '8981100000000000001', msisdn: '+819012345678', carrier: 'kddi' } }), record(), 'APPLICATION_MISMATCH'],
    ['another key mode (CA-generated for an on-device application)', request({ keySource: { mode: 'ca-generated', recipient: 'sp-tsm' } }), record(), 'APPLICATION_MISMATCH'],
    ['an iPhone binding for a SIM application', request({ device: { kind: 'iphone', deviceId: 'IPHONE-0001' } }), record(), 'APPLICATION_MISMATCH'],
  ])('refuses %s', (_what, req, rec, reason) => {
    expect(decide(req, rec)).toMatchObject({ ok: false, reason });
  });

  it('refuses when the card that signed the application is no longer the person’s current card (PROOFING_CARD_REPLACED)', () => {
    expect(decide(request(), record(), 'FFEE01')).toMatchObject({ ok: false, reason: 'PROOFING_CARD_REPLACED' });
  });

  it('checks freshness at the bound: exactly the maximum age is still fresh', () => {
    expect(decide(request(), record({ decidedAt: new Date(NOW.getTime() - MAX_AGE_SECONDS * 1000) })).ok).toBe(true);
  });

  it('matches an MVNO application with the MVNO of the binding, and an iPhone application with its device id', () => {
    const mvno = record({ application: { ...simApplication, carrier: undefined, mvno: 'iijmio' } });
    expect(decide(request({ device: { kind: 'sim', iccid: '8981100000000000001', msisdn: '+819012345678', carrier: 'docomo', mvno: 'iijmio' } }), mvno).ok).toBe(true);
    const iphone = record({ application: { ...simApplication, deviceKind: 'iphone', deviceId: 'IPHONE-0001' } });
    expect(decide(request({ device: { kind: 'iphone', deviceId: 'IPHONE-0001' } }), iphone).ok).toBe(true);
    expect(decide(request({ device: { kind: 'iphone', deviceId: 'IPHONE-0002' } }), iphone)).toMatchObject({ ok: false, reason: 'APPLICATION_MISMATCH', detail: expect.stringContaining('deviceId') });
  });

  it('issues to the embedded SE the card signed for, and to no other SE, SIM or number', () => {
    const eseDevice = { kind: 'ese' as const, seid: 'E50102030405060708AB', msisdn: '+819012345678', carrier: 'docomo' as const };
    const ese = record({ application: { ...simApplication, deviceKind: 'ese', seid: eseDevice.seid } });
    expect(decide(request({ device: eseDevice }), ese).ok).toBe(true);
    expect(decide(request({ device: { ...eseDevice, seid: 'E50102030405060708AC' } }), ese)).toMatchObject({ ok: false, reason: 'APPLICATION_MISMATCH', detail: expect.stringContaining('seid') });
    expect(decide(request({ device: { ...eseDevice, msisdn: '+819099999999' } }), ese)).toMatchObject({ ok: false, reason: 'APPLICATION_MISMATCH', detail: expect.stringContaining('msisdn') });
    expect(decide(request(), ese)).toMatchObject({ ok: false, reason: 'APPLICATION_MISMATCH', detail: expect.stringContaining('deviceKind') });
    expect(decide(request({ device: eseDevice }), record())).toMatchObject({ ok: false, reason: 'APPLICATION_MISMATCH', detail: expect.stringContaining('deviceKind') });
  });
});
