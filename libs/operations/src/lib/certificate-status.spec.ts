import { toPem } from './certificate-status';

describe('toPem (what the OCSP and CRL invariant hands to openssl)', () => {
  it.each([47, 48, 96, 1000])('has no empty line and round-trips for %i bytes of DER (OpenSSL refuses a PEM with an empty line)', (length) => {
    const der = Buffer.from(Array.from({ length }, (_, i) => i % 256));
    const pem = toPem(der);
    const body = pem.split('\n').slice(1, -2);
    expect(body.every((line) => line.length > 0 && line.length <= 64)).toBe(true);
    expect(Buffer.from(body.join(''), 'base64')).toEqual(der);
  });
});
