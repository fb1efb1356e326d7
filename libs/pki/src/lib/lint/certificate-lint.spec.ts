import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, type TestHierarchy } from '../../test/test-hierarchy';
import { buildTbsCertificate } from '../issuance/issue-certificate';
import { userAuthenticationSubject } from '../jpki/jpki-names';
import { lintCertificate } from './certificate-lint';

describe('lintCertificate on foreign and bare artefacts', () => {
  let pki: TestHierarchy;
  let openssl: OpenSslWorkspace;

  beforeAll(async () => {
    [pki, openssl] = await Promise.all([createTestHierarchy(), OpenSslWorkspace.create()]);
  });

  afterAll(() => openssl.dispose());

  it('lints an OpenSSL-made RSA-1024 / SHA-1 self-signed "root" and reports every JPKI violation', async () => {
    await openssl.run(['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-keyout', 'weak-key.pem', '-sha1', '-days', '30', '-subj', '/C=JP/O=Weak/CN=Weak Root', '-outform', 'DER', '-out', 'weak.der']);
    const codes = lintCertificate(await openssl.read('weak.der'), { profile: 'jpki-root-ca' }).map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['RSA_KEY_TOO_SMALL', 'SIGNATURE_ALGORITHM_NOT_SHA256_RSA', 'KEY_USAGE_MISSING', 'BASIC_CONSTRAINTS_MISMATCH']));
  });

  it('lints a bare TBSCertificate, and reports garbage as malformed', () => {
    const tbs = buildTbsCertificate({
      profile: 'jpki-card-user-authentication',
      serialNumber: 1n,
      subject: userAuthenticationSubject('CARD-TBS'),
      subjectPublicKeyInfo: pki.userAuthenticationResponder.signer.publicKeySpki,
      validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 10) },
      issuer: pki.userAuthenticationCa,
    });
    const codes = lintCertificate(tbs, { profile: 'jpki-card-user-authentication', issuerCertificate: pki.userAuthenticationCa.certificate }).map((f) => f.code);
    expect(codes).toEqual(['CRL_DISTRIBUTION_POINT_MISSING', 'OCSP_URI_MISSING']);
    expect(lintCertificate(Buffer.from('nope'), { profile: 'jpki-root-ca' })).toEqual([expect.objectContaining({ code: 'CERTIFICATE_MALFORMED' })]);
  });

  it('accepts the hierarchy it built itself (no false positives)', () => {
    expect(lintCertificate(pki.root.certificate, { profile: 'jpki-root-ca' })).toEqual([]);
    expect(lintCertificate(pki.userAuthenticationCa.certificate, { profile: 'jpki-user-authentication-ca', issuerCertificate: pki.root.certificate })).toEqual([]);
    expect(lintCertificate(pki.userAuthenticationResponder.certificate, { profile: 'jpki-ocsp-responder', issuerCertificate: pki.userAuthenticationCa.certificate })).toEqual([]);
  });
});
