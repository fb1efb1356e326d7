import { OpenSslWorkspace } from '@jpki/openssl-judge';
import {
  describePublicKey,
  exportPkcs8Pem,
  exportSpkiDer,
  exportSpkiPem,
  generateRsaKeyPair,
  importPkcs8PrivateKey,
  importSpkiPublicKey,
  KeyFormatError,
  parseRsaPublicKeyTemplate,
  rsaSpkiFromComponents,
  rsaSpkiFromPublicKeyTemplate,
  type RsaKeyPair,
} from './rsa-keys';
import { encodeSha256DigestInfo, SoftwareRsaSigner } from './signer';

describe('RSA keys and signers', () => {
  let keyPair: RsaKeyPair;

  beforeAll(async () => {
    keyPair = await generateRsaKeyPair();
  });

  it('converts between KeyObject, SPKI and PKCS#8 in DER and PEM', () => {
    const spki = exportSpkiDer(keyPair.publicKey);
    expect(exportSpkiDer(importSpkiPublicKey(exportSpkiPem(keyPair.publicKey)))).toEqual(spki);
    expect(exportSpkiDer(importPkcs8PrivateKey(exportPkcs8Pem(keyPair.privateKey)))).toEqual(spki);
    expect(describePublicKey(spki)).toEqual({ algorithm: 'RSA', keyType: 'rsa', modulusBits: 2048, publicExponent: 65537n });
    expect(() => importSpkiPublicKey(Buffer.from('3000', 'hex'))).toThrow(KeyFormatError);
  });

  it('rebuilds the SPKI from modulus/exponent and from a 7F49 template', () => {
    const jwk = keyPair.publicKey.export({ format: 'jwk' });
    const modulus = Buffer.concat([Buffer.from([0]), Buffer.from(jwk.n ?? '', 'base64url')]);
    const exponent = Buffer.from(jwk.e ?? '', 'base64url');
    const spki = exportSpkiDer(keyPair.publicKey);
    expect(rsaSpkiFromComponents({ modulus, exponent })).toEqual(spki);
    const body = Buffer.concat([Buffer.from([0x81, 0x82, 0x01, 0x01]), modulus, Buffer.from([0x82, 0x03]), exponent]);
    const template = Buffer.concat([Buffer.from([0x7f, 0x49, 0x82, body.length >> 8, body.length & 0xff]), body]);
    expect(parseRsaPublicKeyTemplate(template).exponent).toEqual(exponent);
    expect(rsaSpkiFromPublicKeyTemplate(template)).toEqual(spki);
    expect(() => parseRsaPublicKeyTemplate(Buffer.from('7f4903810100', 'hex'))).toThrow(KeyFormatError);
  });

  it('SoftwareRsaSigner produces RSASSA-PKCS1-v1_5/SHA-256 signatures that openssl dgst verifies', async () => {
    const signer = new SoftwareRsaSigner(keyPair.privateKey);
    const data = Buffer.from('JPKI user authentication challenge');
    const openssl = await OpenSslWorkspace.create();
    try {
      await openssl.write('data.bin', data);
      await openssl.write('sig.bin', await signer.sign(data));
      await openssl.write('pub.pem', exportSpkiPem(keyPair.publicKey));
      const result = await openssl.run(['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'data.bin']);
      expect(result.stdout).toContain('Verified OK');
    } finally {
      await openssl.dispose();
    }
    expect(() => new SoftwareRsaSigner(keyPair.publicKey)).toThrow('needs an RSA private key');
  });

  it('encodes the RFC 8017 SHA-256 DigestInfo prefix', () => {
    expect(encodeSha256DigestInfo(Buffer.alloc(32)).subarray(0, 19).toString('hex')).toBe('3031300d060960864801650304020105000420');
  });
});
