import { toPem } from '../encoding/pem';
import { issueCertificate } from '../issuance/issue-certificate';
import { digitalSignatureSubject } from '../jpki/jpki-names';
import { JpkiOid } from '../jpki/jpki-oids';
import { SoftwareRsaSigner } from '../keys/signer';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, TEST_URLS } from '../testing/test-hierarchy';
import { summarizeCertificate } from './x509-summary';

describe('summarizeCertificate', () => {
  it('summarises a card signing certificate without leaking personal data, matching OpenSSL', async () => {
    const [pki, holder] = await Promise.all([createTestHierarchy(), SoftwareRsaSigner.generate()]);
    const certificate = await issueCertificate({
      profile: 'jpki-card-digital-signature',
      serialNumber: 'C0FFEE',
      subject: digitalSignatureSubject({ prefecture: 'Kyoto-fu', municipality: 'Kyoto-shi', commonName: 'OPAQUE-CN' }),
      subjectPublicKeyInfo: holder.publicKeySpki,
      validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 100) },
      issuer: pki.digitalSignatureCa,
      personalData: { name: '秘密　花子', gender: '2', dateOfBirth: '420000101', address: '京都府京都市上京区' },
      crlDistributionPointUri: TEST_URLS.digitalSignatureCrl,
      ocspUri: TEST_URLS.digitalSignatureOcsp,
    });
    const summary = summarizeCertificate(certificate);
    expect(summary).toMatchObject({
      subject: 'C=JP, L=REDACTED, L=REDACTED, CN=OPAQUE-CN',
      serialNumber: 'C0FFEE',
      signatureAlgorithm: 'sha256WithRSAEncryption',
      publicKey: { algorithm: 'RSA', modulusBits: 2048, publicExponent: 65537 },
      isCa: false,
      keyUsage: ['digitalSignature', 'nonRepudiation'],
      policies: [JpkiOid.policyDigitalSignature],
      crlDistributionPoints: [TEST_URLS.digitalSignatureCrl],
      ocspUris: [TEST_URLS.digitalSignatureOcsp],
      personalDataPresent: true,
    });
    const json = JSON.stringify(summary);
    expect(json).not.toMatch(/秘密|京都府|420000101|Kyoto/);
    expect(summarizeCertificate(certificate, { revealLocality: true }).subject).toContain('L=Kyoto-fu');
    const openssl = await OpenSslWorkspace.create();
    try {
      await openssl.write('cert.pem', toPem(certificate, 'CERTIFICATE'));
      const { stdout } = await openssl.run(['x509', '-in', 'cert.pem', '-noout', '-fingerprint', '-sha256', '-serial']);
      expect(stdout).toContain(`sha256 Fingerprint=${summary.fingerprintSha256}`);
      expect(stdout).toContain('serial=C0FFEE');
    } finally {
      await openssl.dispose();
    }
  });
});
