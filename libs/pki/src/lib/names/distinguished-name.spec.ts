import { JPKI_ISSUER_ALT_NAME, jpkiIssuingCaName } from '../jpki/jpki-names';
import { decodeDistinguishedName, distinguishedNamesMatch, encodeDistinguishedName, formatDistinguishedName } from './distinguished-name';

describe('distinguished names', () => {
  it('encodes C as PrintableString (19) and the rest as UTF8String (12), in order', () => {
    const decoded = decodeDistinguishedName(encodeDistinguishedName(JPKI_ISSUER_ALT_NAME));
    expect(decoded.attributes.map(({ type, value, stringTag }) => [type, value, stringTag])).toEqual([
      ['C', 'JP', 19],
      ['O', '公的個人認証サービス', 12],
    ]);
    expect(decoded.multiValuedRdn).toBe(false);
  });

  it('formats one-line names with RFC 4514 escaping', () => {
    expect(formatDistinguishedName(jpkiIssuingCaName('digital-signature'))).toBe(
      'C=JP, O=JPKI, OU=JPKI for digital signature, OU=Japan Agency for Local Authority Information Systems, CN=SIMULATED JPKI Digital Signature CA',
    );
    expect(formatDistinguishedName([{ type: 'CN', value: 'a,b+c' }])).toBe('CN=a\\,b\\+c');
  });

  it('compares names case- and space-insensitively but keeps attribute order significant', () => {
    const a = decodeDistinguishedName(encodeDistinguishedName([{ type: 'C', value: 'JP' }, { type: 'CN', value: 'Phone  One' }]));
    const b = decodeDistinguishedName(encodeDistinguishedName([{ type: 'C', value: 'JP' }, { type: 'CN', value: 'phone one' }]));
    const reordered = decodeDistinguishedName(encodeDistinguishedName([{ type: 'CN', value: 'phone one' }, { type: 'C', value: 'JP' }]));
    expect(distinguishedNamesMatch(a, b)).toBe(true);
    expect(distinguishedNamesMatch(a, reordered)).toBe(false);
  });

  it('refuses a non-printable country', () => {
    expect(() => encodeDistinguishedName([{ type: 'C', value: '日本' }])).toThrow(RangeError);
  });
});
