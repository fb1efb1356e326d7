import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createTestHierarchy } from '../../test/test-hierarchy';
import { CertificateFormatError, decodeCertificate } from '../x509/certificate';
import { receivedExtension } from '../x509/extensions';
import { Asn1Error, asn1Der, parseDer, pkijsTime } from './pkijs-interop';

describe('strict DER on top of asn1js', () => {
  it.each([
    ['indefinite length', '3080000000'],
    ['non-minimal length', '30810100'],
    ['length with a leading zero octet', '3082008100'],
    ['trailing bytes', '300000'],
    ['truncated value', '300501'],
    ['non-minimal INTEGER', '02020001'],
    ['non-minimal negative INTEGER', '0202ff80'],
    ['empty INTEGER', '0200'],
    ['BOOLEAN other than 00/FF', '010101'],
    ['constructed OCTET STRING', '2406040141040142'],
    ['invalid UTF-8', '0c02c328'],
    ['UTCTime with fractional seconds', `170f${Buffer.from('250230000000.5Z').toString('hex')}`],
    ['UTCTime on 30 February', `170d${Buffer.from('250230000000Z').toString('hex')}`],
    ['GeneralizedTime without Z', `180e${Buffer.from('20500101000000').toString('hex')}`],
    ['non-minimal INTEGER nested in a SEQUENCE', '300402020001'],
  ])('refuses %s', (_label, hex) => {
    expect(() => parseDer(Buffer.from(hex, 'hex'))).toThrow(Asn1Error);
  });

  it('accepts DER, minimal long-form lengths included', () => {
    const long = asn1Der(new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: new ArrayBuffer(300) })] }));
    expect(long.subarray(0, 4).toString('hex')).toBe('30820130');
    expect(parseDer(long)).toBeInstanceOf(asn1js.Sequence);
    expect((parseDer(Buffer.from('0c1ee585ace79a84e5808be4babae8aa8de8a8bce382b5e383bce38393e382b9', 'hex')) as asn1js.Utf8String).getValue()).toBe('公的個人認証サービス');
    expect((parseDer(Buffer.from('020180', 'hex')) as asn1js.Integer).toBigInt()).toBe(-128n);
  });

  it('encodes UTCTime through 2049 and GeneralizedTime from 2050, whole seconds only', () => {
    const encoded = (date: Date) => asn1Der(pkijsTime(date).toSchema()).subarray(2).toString('latin1');
    expect(encoded(new Date('2049-12-31T23:59:59.999Z'))).toBe('491231235959Z');
    expect(encoded(new Date('2050-01-01T00:00:00Z'))).toBe('20500101000000Z');
  });

  it('refuses a certificate that is BER but not DER, and an extension encoding critical FALSE', async () => {
    const { root } = await createTestHierarchy();
    const der = root.certificate;
    expect(der.subarray(0, 2).toString('hex')).toBe('3082');
    const longerLength = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), der.subarray(2)]);
    expect(() => decodeCertificate(longerLength)).toThrow(CertificateFormatError);
    const subjectKeyIdentifier = (critical: string) => parseDer(Buffer.from(`30${critical ? '0c' : '09'}0603551d0e${critical}04020400`, 'hex'));
    const received = (node: asn1js.AsnType) => receivedExtension(new pkijs.Extension({ schema: node }), node);
    expect(received(subjectKeyIdentifier(''))).toEqual({ oid: '2.5.29.14', critical: false, value: Buffer.from('0400', 'hex') });
    expect(() => received(subjectKeyIdentifier('010100'))).toThrow('critical FALSE must be omitted in DER');
  });
});
