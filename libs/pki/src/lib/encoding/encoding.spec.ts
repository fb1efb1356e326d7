import { decodePemBlocks, fromPem, PemError, toDer, toPem } from './pem';
import { formatSerialNumber, parseSerialNumber, randomSerialNumber, SerialNumberError } from './serial-number';

describe('PEM, serial numbers and fingerprints', () => {
  const der = Buffer.from('3003020101', 'hex');

  it('round-trips PEM with 64-column lines and finds labelled blocks in a bundle', () => {
    const long = Buffer.alloc(100, 7);
    const pem = toPem(long, 'CERTIFICATE');
    expect(pem.split('\n')[1]).toHaveLength(64);
    expect(fromPem(pem)).toEqual(long);
    const bundle = `${toPem(der, 'X509 CRL')}junk\n${pem}`;
    expect(decodePemBlocks(bundle).map((block) => block.label)).toEqual(['X509 CRL', 'CERTIFICATE']);
    expect(fromPem(bundle, 'CERTIFICATE')).toEqual(long);
    expect(toDer(Buffer.from(pem))).toEqual(long);
    expect(toDer(der)).toBe(der);
    expect(() => fromPem(pem, 'X509 CRL')).toThrow(PemError);
  });

  it('formats serials as even-length uppercase hex and parses every accepted form', () => {
    expect(formatSerialNumber(0xabcn)).toBe('0ABC');
    expect(formatSerialNumber('0a:1b:2c')).toBe('0A1B2C');
    expect(formatSerialNumber(Buffer.from('00ff', 'hex'))).toBe('FF');
    expect(formatSerialNumber(-1n)).toBe('-01');
    expect(parseSerialNumber('0x7E57')).toBe(0x7e57n);
    expect(() => parseSerialNumber('not-hex')).toThrow(SerialNumberError);
  });

  it('generates positive random serials of at most 16 octets', () => {
    for (let i = 0; i < 50; i++) {
      const serial = randomSerialNumber();
      expect(serial > 0n && serial < 1n << 127n).toBe(true);
    }
  });
});
