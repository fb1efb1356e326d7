import { OpenSslWorkspace } from '@jpki/openssl-judge';
import {
  describePublicKey,
  exportPkcs8Der,
  exportSpkiDer,
  generateRsaKeyPair,
  importPkcs8PrivateKey,
  importSpkiPublicKey,
  KeyFormatError,
  type RsaKeyPair,
} from './rsa-keys';
import { toPem } from '../encoding/pem';
import { isSha256DigestInfo, sha256DigestInfo, SoftwareRsaSigner } from './signer';

describe('RSA keys and signers', () => {
  let keyPair: RsaKeyPair;

  beforeAll(async () => {
    keyPair = await generateRsaKeyPair();
  });

  it('converts between KeyObject, SPKI and PKCS#8 in DER and PEM', () => {
    const spki = exportSpkiDer(keyPair.publicKey);
    expect(exportSpkiDer(importSpkiPublicKey(toPem(exportSpkiDer(keyPair.publicKey), 'PUBLIC KEY')))).toEqual(spki);
    expect(exportSpkiDer(importPkcs8PrivateKey(toPem(exportPkcs8Der(keyPair.privateKey), 'PRIVATE KEY')))).toEqual(spki);
    expect(describePublicKey(spki)).toEqual({ algorithm: 'RSA', keyType: 'rsa', modulusBits: 2048, publicExponent: 65537n });
    expect(() => importSpkiPublicKey(Buffer.from('3000', 'hex'))).toThrow(KeyFormatError);
  });

  it('SoftwareRsaSigner produces RSASSA-PKCS1-v1_5/SHA-256 signatures that openssl dgst verifies', async () => {
    const signer = new SoftwareRsaSigner(keyPair.privateKey);
    const data = Buffer.from('JPKI user authentication challenge');
    const openssl = await OpenSslWorkspace.create();
    try {
      await openssl.write('data.bin', data);
      await openssl.write('sig.bin', await signer.sign(data));
      await openssl.write('pub.pem', toPem(exportSpkiDer(keyPair.publicKey), 'PUBLIC KEY'));
      const result = await openssl.run(['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'data.bin']);
      expect(result.stdout).toContain('Verified OK');
    } finally {
      await openssl.dispose();
    }
    expect(() => new SoftwareRsaSigner(keyPair.publicKey)).toThrow('needs an RSA private key');
  });

  it('builds and recognises the SHA-256 DigestInfo a card signs (RFC 8017 §9.2), as openssl asn1parse reads it', async () => {
    const digestInfo = sha256DigestInfo(Buffer.from('abc'));
    expect(isSha256DigestInfo(digestInfo)).toBe(true);
    expect(isSha256DigestInfo(digestInfo.subarray(1))).toBe(false);
    const openssl = await OpenSslWorkspace.create();
    try {
      await openssl.write('digest-info.der', digestInfo);
      const { stdout } = await openssl.run(['asn1parse', '-inform', 'DER', '-in', 'digest-info.der']);
      expect(stdout).toContain('sha256');
      expect(stdout).toMatch(/OCTET STRING\s+\[HEX DUMP\]:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD/);
    } finally {
      await openssl.dispose();
    }
  });
});
