import { generateKeyPairSync } from 'node:crypto';
import { Oid } from '../asn1/oids';
import { buildCsr, CsrError, verifyCsr, type CsrPolicy, type CsrRejectionReason } from '../csr/csr';
import { toPem } from '../encoding/pem';
import { prepareCertificate } from '../issuance/issue-certificate';
import { userAuthenticationSubject } from '../jpki/jpki-names';
import { lintCertificate } from '../lint/certificate-lint';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, issuePhoneCertificate, TEST_URLS, type TestHierarchy } from '../../test/test-hierarchy';
import { validateCertificate } from '../validation/validate-certificate';
import { decodeCertificate } from '../x509/certificate';
import { basicConstraintsExtension, keyUsageExtension } from '../x509/extensions';
import { issuePlainCertificate } from '../x509/plain-certificate';
import { derOf, signatureAlgorithmFor } from '../asn1/pkijs-interop';
import { generateEcP256KeyPair, isEcP256Spki, parseEcP256Spki, SoftwareEcdsaSigner } from './ec-keys';
import { exportSpkiDer } from './rsa-keys';
import { verifySignature } from './signature-verification';
import { SoftwareRsaSigner } from './signer';

const EC_ONLY: CsrPolicy = { keyAlgorithms: ['EC-P256'] };

function rejection(input: Buffer | string, policy?: CsrPolicy): CsrRejectionReason | 'accepted' {
  try {
    verifyCsr(input, policy);
    return 'accepted';
  } catch (error) {
    if (error instanceof CsrError) return error.reason;
    throw error;
  }
}

describe('EC P-256 support (iPhone Secure Enclave keys), judged by OpenSSL', () => {
  let openssl: OpenSslWorkspace;
  let pki: TestHierarchy;
  let enclave: SoftwareEcdsaSigner;

  beforeAll(async () => {
    [openssl, pki, enclave] = await Promise.all([OpenSslWorkspace.create(), createTestHierarchy(), SoftwareEcdsaSigner.generate()]);
    await openssl.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'p256.pem']);
    await openssl.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', 'p384.pem']);
    await openssl.write('root.pem', toPem(pki.root.certificate, 'CERTIFICATE'));
    await openssl.write('auth-ca.pem', toPem(pki.userAuthenticationCa.certificate, 'CERTIFICATE'));
  });

  afterAll(() => openssl.dispose());

  describe('keys and signatures', () => {
    it('parses a P-256 SPKI into its uncompressed point and refuses other curves and RSA', async () => {
      expect(parseEcP256Spki(enclave.publicKeySpki).point).toHaveLength(65);
      expect(parseEcP256Spki(enclave.publicKeySpki).point[0]).toBe(0x04);
      const p384 = exportSpkiDer(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey);
      expect(() => parseEcP256Spki(p384)).toThrow(/prime256v1/);
      expect(isEcP256Spki(p384)).toBe(false);
      expect(isEcP256Spki((await SoftwareRsaSigner.generate()).publicKeySpki)).toBe(false);
      expect(isEcP256Spki(Buffer.from('junk'))).toBe(false);
    });

    it('signs with ECDSA-SHA256 (DER) and verifies only with the matching key and algorithm', async () => {
      const data = Buffer.from('challenge');
      const signature = await enclave.sign(data);
      expect(signature[0]).toBe(0x30);
      expect(verifySignature({ publicKeySpki: enclave.publicKeySpki, signatureAlgorithmOid: Oid.ecdsaWithSha256, data, signature })).toBe(true);
      expect(verifySignature({ publicKeySpki: enclave.publicKeySpki, signatureAlgorithmOid: Oid.sha256WithRsaEncryption, data, signature })).toBe(false);
      const other = await SoftwareEcdsaSigner.generate();
      expect(verifySignature({ publicKeySpki: other.publicKeySpki, signatureAlgorithmOid: Oid.ecdsaWithSha256, data, signature })).toBe(false);
      expect(derOf(signatureAlgorithmFor(enclave)).toString('hex')).toBe('300a06082a8648ce3d040302');
      expect(() => new SoftwareEcdsaSigner(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey)).toThrow(/P-256/);
    });
  });

  describe('PKCS#10 with a P-256 key', () => {
    it('builds an ECDSA-with-SHA256 CSR that openssl req -verify accepts', async () => {
      const csr = await buildCsr({ subject: userAuthenticationSubject('IPHONE-CSR-1'), signer: enclave });
      await openssl.write('ec.csr', toPem(csr, 'CERTIFICATE REQUEST'));
      const result = await openssl.run(['req', '-in', 'ec.csr', '-verify', '-noout', '-text']);
      expect(result.output).toContain('verify OK');
      expect(result.stdout).toContain('id-ecPublicKey');
      expect(result.stdout).toContain('prime256v1');
      expect(result.stdout).toContain('ecdsa-with-SHA256');
      const verified = verifyCsr(csr, EC_ONLY);
      expect(verified.publicKey).toMatchObject({ algorithm: 'EC', namedCurve: 'prime256v1' });
      expect(verified.subjectPublicKeyInfo).toEqual(enclave.publicKeySpki);
      expect(verified.signatureAlgorithmOid).toBe(Oid.ecdsaWithSha256);
    });

    it('accepts an OpenSSL-made P-256 CSR when the policy allows EC, and refuses it by default (RSA only)', async () => {
      await openssl.run(['req', '-new', '-key', 'p256.pem', '-subj', '/C=JP/CN=EC', '-sha256', '-out', 'openssl-ec.csr']);
      const pem = (await openssl.read('openssl-ec.csr')).toString();
      expect(rejection(pem, EC_ONLY)).toBe('accepted');
      expect(rejection(pem, { keyAlgorithms: ['RSA', 'EC-P256'] })).toBe('accepted');
      expect(rejection(pem)).toBe('KEY_ALGORITHM_UNSUPPORTED');
    });

    it('refuses a P-384 key (KEY_CURVE_UNSUPPORTED) and an RSA key under an EC-only policy', async () => {
      await openssl.run(['req', '-new', '-key', 'p384.pem', '-subj', '/C=JP/CN=EC384', '-sha256', '-out', 'p384.csr']);
      expect(rejection((await openssl.read('p384.csr')).toString(), EC_ONLY)).toBe('KEY_CURVE_UNSUPPORTED');
      const rsa = await buildCsr({ subject: userAuthenticationSubject('RSA'), signer: await SoftwareRsaSigner.generate() });
      expect(rejection(rsa, EC_ONLY)).toBe('KEY_ALGORITHM_UNSUPPORTED');
      expect(rejection(rsa)).toBe('accepted');
    });

    it('refuses a tampered EC CSR, SHA-1 ECDSA, and an RSA algorithm identifier on an EC key', async () => {
      const csr = await buildCsr({ subject: userAuthenticationSubject('IPHONE-AAAA'), signer: enclave });
      const altered = Buffer.from(csr.toString('latin1').replace('IPHONE-AAAA', 'IPHONE-BBBB'), 'latin1');
      expect(rejection(altered, EC_ONLY)).toBe('CSR_SIGNATURE_INVALID');
      await openssl.run(['req', '-new', '-key', 'p256.pem', '-subj', '/C=JP/CN=SHA1', '-sha1', '-out', 'sha1.csr']);
      expect(rejection((await openssl.read('sha1.csr')).toString(), EC_ONLY)).toBe('CSR_SIGNATURE_ALGORITHM_UNSUPPORTED');
      const liar = { publicKeySpki: enclave.publicKeySpki, sign: (d: Buffer) => enclave.sign(d) }; // no signatureAlgorithm: claims RSA
      expect(rejection(await buildCsr({ subject: userAuthenticationSubject('LIAR'), signer: liar }), EC_ONLY)).toBe('CSR_SIGNATURE_ALGORITHM_UNSUPPORTED');
    });
  });

  describe('phone certificate with a P-256 key under the RSA-2048 user-authentication CA', () => {
    let phone: Buffer;

    beforeAll(async () => {
      phone = await issuePhoneCertificate(pki, 0x1f0e5n, enclave.publicKeySpki);
      await openssl.write('iphone.pem', toPem(phone, 'CERTIFICATE'));
    });

    it('openssl verify accepts root → user-authentication CA → EC leaf; x509 -text shows id-ecPublicKey prime256v1', async () => {
      const verify = await openssl.run(['verify', '-x509_strict', '-CAfile', 'root.pem', '-untrusted', 'auth-ca.pem', 'iphone.pem']);
      expect(verify.output).toContain('iphone.pem: OK');
      expect(verify.code).toBe(0);
      const { stdout } = await openssl.run(['x509', '-in', 'iphone.pem', '-noout', '-text']);
      expect(stdout).toContain('Public Key Algorithm: id-ecPublicKey');
      expect(stdout).toContain('ASN1 OID: prime256v1');
      expect(stdout).toContain('NIST CURVE: P-256');
      expect(stdout).toContain('Signature Algorithm: sha256WithRSAEncryption');
      expect(stdout).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    });

    it('validates with the pki path validation and carries the unchanged phone profile', async () => {
      const result = await validateCertificate({
        certificate: phone,
        intermediates: [pki.userAuthenticationCa.certificate],
        trustAnchors: [pki.root.certificate],
        at: pki.now,
        requiredKeyUsage: ['digitalSignature'],
      });
      expect(result).toMatchObject({ ok: true });
    });

    it('lint: P-256 only for the phone profile; other curves and other profiles are findings', async () => {
      const request = (profile: 'jpki-phone-user-authentication' | 'jpki-card-user-authentication', spki: Buffer) =>
        prepareCertificate({
          profile,
          serialNumber: 0x77n,
          subject: userAuthenticationSubject('LINT'),
          subjectPublicKeyInfo: spki,
          validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 100) },
          issuer: pki.userAuthenticationCa,
          crlDistributionPointUri: TEST_URLS.userAuthenticationCrl,
          ocspUri: TEST_URLS.userAuthenticationOcsp,
          cardCertificateNotAfter: daysFrom(pki.now, 1500),
        });
      expect((await request('jpki-phone-user-authentication', enclave.publicKeySpki)).findings).toEqual([]);
      expect((await request('jpki-card-user-authentication', enclave.publicKeySpki)).findings.map((f) => f.code)).toEqual(['PUBLIC_KEY_NOT_RSA']);
      const p384 = exportSpkiDer(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey);
      expect((await request('jpki-phone-user-authentication', p384)).findings.map((f) => f.code)).toEqual(['EC_KEY_NOT_P256']);
      expect(lintCertificate(phone, { profile: 'jpki-phone-user-authentication', issuerCertificate: pki.userAuthenticationCa.certificate, cardCertificateNotAfter: daysFrom(pki.now, 1500) })).toEqual([]);
    });
  });

  describe('plain (non-JPKI) certificates with an ECDSA P-256 hierarchy', () => {
    it('issues root → intermediate → leaf that openssl and validateCertificate accept', async () => {
      const [rootKey, intermediateKey, leafKey] = await Promise.all([generateEcP256KeyPair(), generateEcP256KeyPair(), generateEcP256KeyPair()]);
      const rootSigner = new SoftwareEcdsaSigner(rootKey.privateKey);
      const intermediateSigner = new SoftwareEcdsaSigner(intermediateKey.privateKey);
      const validity = { notBefore: daysFrom(pki.now, -1), notAfter: daysFrom(pki.now, 30) };
      const caExtensions = (pathLength: number) => [basicConstraintsExtension({ ca: true, pathLength }), keyUsageExtension(['keyCertSign', 'cRLSign'])];
      const root = await issuePlainCertificate({
        serialNumber: 1n,
        subject: [{ type: 'O', value: 'SIMULATED Vendor' }, { type: 'CN', value: 'SIMULATED Attestation Root' }],
        subjectPublicKeyInfo: rootSigner.publicKeySpki,
        validity,
        issuer: { signer: rootSigner },
        extensions: caExtensions(1),
      });
      const intermediate = await issuePlainCertificate({
        serialNumber: 2n,
        subject: [{ type: 'O', value: 'SIMULATED Vendor' }, { type: 'CN', value: 'SIMULATED Attestation CA 1' }],
        subjectPublicKeyInfo: intermediateSigner.publicKeySpki,
        validity,
        issuer: { signer: rootSigner, certificate: root },
        extensions: caExtensions(0),
      });
      const leaf = await issuePlainCertificate({
        serialNumber: 3n,
        subject: [{ type: 'CN', value: 'attested key' }],
        subjectPublicKeyInfo: exportSpkiDer(leafKey.publicKey),
        validity,
        issuer: { signer: intermediateSigner, certificate: intermediate },
        extensions: [keyUsageExtension(['digitalSignature'])],
      });
      expect(decodeCertificate(leaf).signatureAlgorithm.oid).toBe(Oid.ecdsaWithSha256);
      await openssl.write('att-root.pem', toPem(root, 'CERTIFICATE'));
      await openssl.write('att-ca.pem', toPem(intermediate, 'CERTIFICATE'));
      await openssl.write('att-leaf.pem', toPem(leaf, 'CERTIFICATE'));
      const verify = await openssl.run(['verify', '-x509_strict', '-CAfile', 'att-root.pem', '-untrusted', 'att-ca.pem', 'att-leaf.pem']);
      expect(verify.output).toContain('att-leaf.pem: OK');
      const valid = await validateCertificate({ certificate: leaf, intermediates: [intermediate], trustAnchors: [root], at: pki.now });
      expect(valid).toMatchObject({ ok: true });
      const strangerRoot = await issuePlainCertificate({
        serialNumber: 1n,
        subject: [{ type: 'O', value: 'SIMULATED Vendor' }, { type: 'CN', value: 'SIMULATED Attestation Root' }],
        subjectPublicKeyInfo: intermediateSigner.publicKeySpki,
        validity,
        issuer: { signer: intermediateSigner },
        extensions: caExtensions(1),
      });
      const untrusted = await validateCertificate({ certificate: leaf, intermediates: [intermediate], trustAnchors: [strangerRoot], at: pki.now });
      expect(untrusted).toMatchObject({ ok: false });
      await expect(
        issuePlainCertificate({ serialNumber: 9n, subject: [{ type: 'CN', value: 'x' }], subjectPublicKeyInfo: rootSigner.publicKeySpki, validity, issuer: { signer: intermediateSigner, certificate: root }, extensions: [] }),
      ).rejects.toThrow(/not the issuer certificate key/);
    });
  });
});
