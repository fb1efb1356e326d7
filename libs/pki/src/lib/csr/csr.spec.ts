import { privateEncrypt, constants } from 'node:crypto';
import { fromPem, toPem } from '../encoding/pem';
import { userAuthenticationSubject } from '../jpki/jpki-names';
import { exportPkcs8Der, exportSpkiDer, generateRsaKeyPair, type RsaKeyPair } from '../keys/rsa-keys';
import { createDigestInfoSigner, SignerError, SoftwareRsaSigner } from '../keys/signer';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { buildCsr, CsrError, verifyCsr, type CsrRejectionReason } from './csr';

/** A 7F49 template as a SIM applet returns it after GENERATE ASYMMETRIC KEY PAIR. */

function rejectionReason(input: Buffer | string): CsrRejectionReason | 'accepted' {
  try {
    verifyCsr(input);
    return 'accepted';
  } catch (error) {
    if (error instanceof CsrError) return error.reason;
    throw error;
  }
}

describe('PKCS#10 CSR', () => {
  let openssl: OpenSslWorkspace;
  let simKey: RsaKeyPair;
  let software: SoftwareRsaSigner;

  beforeAll(async () => {
    [openssl, simKey, software] = await Promise.all([OpenSslWorkspace.create(), generateRsaKeyPair(), SoftwareRsaSigner.generate()]);
    await openssl.run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'rsa1024.pem']);
    await openssl.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'p256.pem']);
    await openssl.write('rsa2048.pem', toPem(exportPkcs8Der(simKey.privateKey), 'PRIVATE KEY'));
  });

  afterAll(() => openssl.dispose());

  it('builds a CSR with a software signer that openssl req -verify accepts', async () => {
    const csr = await buildCsr({ subject: userAuthenticationSubject('PHONE-CSR-1'), signer: software });
    await openssl.write('software.csr', toPem(csr, 'CERTIFICATE REQUEST'));
    const result = await openssl.run(['req', '-in', 'software.csr', '-verify', '-noout', '-subject', '-nameopt', 'RFC2253']);
    expect(result.code).toBe(0);
    expect(result.output).toContain('verify OK');
    expect(result.output).toContain('subject=CN=PHONE-CSR-1,C=JP');
    expect(verifyCsr(csr).publicKey).toMatchObject({ algorithm: 'RSA', modulusBits: 2048, publicExponent: 65537n });
  });

  it('builds a CSR through a raw DigestInfo signer (SIM applet) from a 7F49 public key template', async () => {
    const publicKeySpki = exportSpkiDer(simKey.publicKey);
    const simApplet = async (digestInfo: Buffer) =>
      privateEncrypt({ key: simKey.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
    const csr = await buildCsr({ subject: userAuthenticationSubject('PHONE-SIM-1'), signer: createDigestInfoSigner(publicKeySpki, simApplet) });
    await openssl.write('sim.csr', csr);
    const result = await openssl.run(['req', '-in', 'sim.csr', '-inform', 'DER', '-verify', '-noout']);
    expect(result.output).toContain('verify OK');
    expect(verifyCsr(csr).subject.attributes.map((a) => a.value)).toEqual(['JP', 'PHONE-SIM-1']);
  });

  it('a DigestInfo signer refuses an applet that signs with another key', async () => {
    const wrongApplet = async (digestInfo: Buffer) =>
      privateEncrypt({ key: simKey.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
    const signer = createDigestInfoSigner(software.publicKeySpki, wrongApplet);
    await expect(buildCsr({ subject: userAuthenticationSubject('X'), signer })).rejects.toMatchObject({
      constructor: SignerError,
      reason: 'SIGNATURE_MISMATCH',
    });
  });

  it('accepts an OpenSSL-made RSA-2048 CSR', async () => {
    await openssl.run(['req', '-new', '-key', 'rsa2048.pem', '-subj', '/C=JP/CN=OPENSSL-2048', '-sha256', '-out', 'openssl2048.csr']);
    expect(rejectionReason(await openssl.read('openssl2048.csr'))).toBe('accepted');
  });

  it('rejects a CSR whose signature was tampered with', async () => {
    const csr = await buildCsr({ subject: userAuthenticationSubject('PHONE-CSR-2'), signer: software });
    const tampered = Buffer.from(csr);
    tampered[tampered.length - 10] ^= 0x01;
    expect(rejectionReason(tampered)).toBe('CSR_SIGNATURE_INVALID');
    await openssl.write('tampered.csr', tampered);
    // OpenSSL 3.0 exits 0 here and only prints the verdict.
    expect((await openssl.run(['req', '-in', 'tampered.csr', '-inform', 'DER', '-verify', '-noout'])).output).toContain('verify failure');
  });

  it('rejects a CSR whose subject was altered after signing', async () => {
    const csr = await buildCsr({ subject: userAuthenticationSubject('PHONE-AAAA'), signer: software });
    const altered = Buffer.from(csr.toString('latin1').replace('PHONE-AAAA', 'PHONE-BBBB'), 'latin1');
    expect(rejectionReason(altered)).toBe('CSR_SIGNATURE_INVALID');
  });

  it('rejects an RSA-1024 key (CSR made by OpenSSL)', async () => {
    await openssl.run(['req', '-new', '-key', 'rsa1024.pem', '-subj', '/C=JP/CN=WEAK', '-sha256', '-out', 'weak.csr']);
    expect(rejectionReason((await openssl.read('weak.csr')).toString())).toBe('KEY_TOO_SMALL');
  });

  it('rejects an EC key (CSR made by OpenSSL)', async () => {
    await openssl.run(['req', '-new', '-key', 'p256.pem', '-subj', '/C=JP/CN=EC', '-sha256', '-out', 'ec.csr']);
    expect(rejectionReason((await openssl.read('ec.csr')).toString())).toBe('KEY_ALGORITHM_UNSUPPORTED');
  });

  it('rejects an over-long CN (65 characters)', async () => {
    const csr = await buildCsr({ subject: userAuthenticationSubject('N'.repeat(65)), signer: software });
    expect(rejectionReason(csr)).toBe('SUBJECT_TOO_LONG');
    expect(rejectionReason(await buildCsr({ subject: userAuthenticationSubject('N'.repeat(64)), signer: software }))).toBe('accepted');
  });

  it('rejects garbage, truncated DER and a PEM of the wrong type as CSR_MALFORMED', async () => {
    const csr = await buildCsr({ subject: userAuthenticationSubject('PHONE-CSR-3'), signer: software });
    expect(rejectionReason(Buffer.from('not a certification request at all'))).toBe('CSR_MALFORMED');
    expect(rejectionReason(csr.subarray(0, csr.length - 1))).toBe('CSR_MALFORMED');
    expect(rejectionReason(Buffer.concat([csr, Buffer.from([0])]))).toBe('CSR_MALFORMED');
    expect(rejectionReason(toPem(csr, 'CERTIFICATE'))).toBe('CSR_MALFORMED');
    expect(fromPem(toPem(csr, 'CERTIFICATE REQUEST'))).toEqual(csr);
  });
});
