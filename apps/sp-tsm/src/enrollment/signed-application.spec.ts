import { verifyCms, type CmsVerification } from '@jpki/pki';
import { DomainHttpException } from '@jpki/service-kit';
import { applicationMismatches, checkSignedApplication, type ExpectedApplication } from './signed-application';

jest.mock('@jpki/pki', () => ({ verifyCms: jest.fn() }));
const verify = verifyCms as jest.MockedFunction<typeof verifyCms>;

const SIM: ExpectedApplication = { deviceKind: 'sim', keyMode: 'on-device', msisdn: '+819012345678', operator: 'docomo' };
const application = {
  purpose: 'phone-enrollment',
  nonce: 'n'.repeat(24),
  requestedAt: '2026-06-01T12:00:00.000Z',
  carrier: 'docomo',
  msisdn: '+819012345678',
  keyMode: 'on-device',
  deviceKind: 'sim',
};
const signed = (content: unknown): CmsVerification => ({
  signatureValid: true,
  content: Buffer.from(typeof content === 'string' ? content : JSON.stringify(content)),
  signerCertificate: Buffer.alloc(0),
  certificates: [],
});

const refusal = (expected: ExpectedApplication = SIM): { status: number; reason: string } => {
  try {
    checkSignedApplication('AAAA', expected);
  } catch (err) {
    if (err instanceof DomainHttpException) return { status: err.getStatus(), reason: (err.getResponse() as { reason: string }).reason };
    throw err;
  }
  throw new Error('accepted');
};

describe('checkSignedApplication: what POST /enrollments refuses before writing anything', () => {
  it('accepts a signed application for this number, operator and key mode', () => {
    verify.mockReturnValue(signed(application));
    expect(checkSignedApplication('AAAA', SIM)).toMatchObject({ msisdn: '+819012345678', keyMode: 'on-device' });
  });

  it.each([
    ['not a SignedData', { signatureValid: false, reason: 'CMS_MALFORMED', detail: 'x' } as CmsVerification, 400, 'APPLICATION_MALFORMED'],
    ['a signature that does not verify', { signatureValid: false, reason: 'CMS_MESSAGE_DIGEST_MISMATCH', detail: 'x' } as CmsVerification, 400, 'APPLICATION_SIGNATURE_INVALID'],
    ['signed content that is not JSON', signed('{not json'), 400, 'APPLICATION_MALFORMED'],
    ['an application outside the CA’s schema', signed({ ...application, purpose: 'something-else' }), 400, 'APPLICATION_MALFORMED'],
    ['an application for another number', signed({ ...application, msisdn: '+819099999999' }), 422, 'APPLICATION_MISMATCH'],
    ['an application for another key mode', signed({ ...application, keyMode: 'ca-generated' }), 422, 'APPLICATION_MISMATCH'],
  ])('refuses %s', (_what, verification, status, reason) => {
    verify.mockReturnValue(verification);
    expect(refusal()).toEqual({ status, reason });
  });

  it('compares the operator as carrier or MVNO, and an iPhone application by device id', () => {
    expect(applicationMismatches({ ...application, carrier: undefined, mvno: 'iijmio' }, { ...SIM, operator: 'iijmio' })).toEqual([]);
    expect(applicationMismatches(application, { ...SIM, operator: 'kddi' })).toEqual(['operator']);
    const iphone = { ...application, deviceKind: 'iphone', deviceId: 'IPHONE-0001' };
    expect(applicationMismatches(iphone, { deviceKind: 'iphone', keyMode: 'on-device', deviceId: 'IPHONE-0001' })).toEqual([]);
    expect(applicationMismatches(iphone, { deviceKind: 'iphone', keyMode: 'on-device', deviceId: 'IPHONE-0002' })).toEqual(['deviceId']);
    expect(applicationMismatches(application, { deviceKind: 'iphone', keyMode: 'on-device', deviceId: 'IPHONE-0001' })).toEqual(['deviceKind', 'deviceId']);
  });

  it('binds an eSE phone’s application to its embedded SE: another SEID, or a SIM application, is a mismatch', () => {
    const ESE: ExpectedApplication = { ...SIM, deviceKind: 'ese', seid: 'E50102030405060708AB' };
    const onEse = { ...application, deviceKind: 'ese', seid: ESE.seid };
    verify.mockReturnValue(signed(onEse));
    expect(checkSignedApplication('AAAA', ESE)).toMatchObject({ deviceKind: 'ese', seid: ESE.seid });
    expect(refusal({ ...ESE, seid: 'E50102030405060708AC' })).toEqual({ status: 422, reason: 'APPLICATION_MISMATCH' });
    expect(refusal(SIM)).toEqual({ status: 422, reason: 'APPLICATION_MISMATCH' });
    expect(applicationMismatches(application, ESE)).toEqual(['deviceKind', 'seid']);
    verify.mockReturnValue(signed({ ...application, deviceKind: 'ese' }));
    expect(refusal(ESE)).toEqual({ status: 400, reason: 'APPLICATION_MALFORMED' });
  });
});
