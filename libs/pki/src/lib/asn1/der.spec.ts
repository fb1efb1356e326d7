import { Asn1Error, decodeDer, readInteger, readObjectIdentifier, readString, readTime, childrenOf } from './der-reader';
import { generalizedTime, integer, objectIdentifier, printableString, sequence, setOf, time, utf8String } from './der-writer';

describe('DER codec', () => {
  it.each([
    [0n, '020100'],
    [127n, '02017f'],
    [128n, '02020080'],
    [256n, '02020100'],
    [-1n, '0201ff'],
    [-128n, '020180'],
    [-129n, '0202ff7f'],
  ])('encodes INTEGER %s minimally as %s and reads it back', (value, hex) => {
    expect(integer(value).toString('hex')).toBe(hex);
    expect(readInteger(decodeDer(Buffer.from(hex, 'hex')))).toBe(value);
  });

  it.each(['1.2.392.200149.8.5.5.1', '1.3.6.1.4.1.32473.392.1.3.40', '2.999.3', '2.5.29.32.0', '1.2.840.113549.1.1.11'])(
    'round-trips OID %s',
    (oid) => expect(readObjectIdentifier(decodeDer(objectIdentifier(oid)))).toBe(oid),
  );

  it('encodes the well-known sha256WithRSAEncryption OID bytes', () => {
    expect(objectIdentifier('1.2.840.113549.1.1.11').toString('hex')).toBe('06092a864886f70d01010b');
  });

  it.each([
    ['indefinite length', '3080000000'],
    ['non-minimal length', '30810100'],
    ['trailing bytes', '300000'],
    ['truncated value', '300501'],
    ['non-minimal INTEGER', '02020001'],
  ])('rejects %s', (_label, hex) => {
    expect(() => {
      const node = decodeDer(Buffer.from(hex, 'hex'));
      if (node.tag === 0x02) readInteger(node);
    }).toThrow(Asn1Error);
  });

  it('uses UTCTime through 2049 and GeneralizedTime from 2050, whole seconds only', () => {
    const in2049 = new Date('2049-12-31T23:59:59.999Z');
    const in2050 = new Date('2050-01-01T00:00:00Z');
    expect(time(in2049).toString('latin1', 2)).toBe('491231235959Z');
    expect(time(in2050).toString('latin1', 2)).toBe('20500101000000Z');
    expect(readTime(decodeDer(time(in2049)))).toEqual(new Date('2049-12-31T23:59:59Z'));
    expect(readTime(decodeDer(generalizedTime(in2050)))).toEqual(in2050);
    expect(() => readTime(decodeDer(Buffer.from('170d3235303233303030303030305a', 'hex')))).toThrow('invalid calendar value');
  });

  it('sorts SET OF members by their encoding and keeps UTF-8 text intact', () => {
    const set = setOf(utf8String('b'), printableString('z'), utf8String('a'));
    expect(childrenOf(decodeDer(set)).map((node) => readString(node))).toEqual(['a', 'b', 'z']);
    expect(readString(decodeDer(utf8String('公的個人認証サービス')))).toBe('公的個人認証サービス');
    expect(() => printableString('日本')).toThrow(RangeError);
    expect(decodeDer(sequence(Buffer.alloc(0))).raw.toString('hex')).toBe('3000');
  });

  it('encodes long lengths in the minimal long form', () => {
    const long = sequence(Buffer.alloc(300));
    expect(long.subarray(0, 4).toString('hex')).toBe('3082012c');
    expect(decodeDer(long).value.length).toBe(300);
  });
});
