import { toPem } from '../encoding/pem';
import { digitalSignatureSubject, userAuthenticationSubject } from '../jpki/jpki-names';
import { JpkiOid } from '../jpki/jpki-oids';
import { jpkiDateOfBirth, readJpkiPersonalData, type JpkiPersonalData } from '../jpki/personal-data';
import { SoftwareRsaSigner } from '../keys/signer';
import { LintRejectionError } from '../lint/lint-finding';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, TEST_URLS, type TestHierarchy } from '../../test/test-hierarchy';
import { decodeCertificate } from '../x509/certificate';
import { issueCertificate, prepareCertificate } from './issue-certificate';

const PERSONAL_DATA: JpkiPersonalData = {
  name: '公的　花子',
  nameSubstitute: '00000',
  gender: '2',
  dateOfBirth: jpkiDateOfBirth('1990-04-01'),
  address: '東京都千代田区霞が関２丁目１番２号',
  addressSubstitute: '0000000000000000000000',
};

describe('issueCertificate (SIMULATED JPKI hierarchy, judged by OpenSSL)', () => {
  let pki: TestHierarchy;
  let holder: SoftwareRsaSigner;
  let phone: SoftwareRsaSigner;
  let openssl: OpenSslWorkspace;
  let cardAuthentication: Buffer;
  let phoneAuthentication: Buffer;
  let cardSigning: Buffer;

  beforeAll(async () => {
    [pki, holder, phone, openssl] = await Promise.all([
      createTestHierarchy(),
      SoftwareRsaSigner.generate(),
      SoftwareRsaSigner.generate(),
      OpenSslWorkspace.create(),
    ]);
    const leafBase = {
      crlDistributionPointUri: TEST_URLS.userAuthenticationCrl,
      ocspUri: TEST_URLS.userAuthenticationOcsp,
      issuer: pki.userAuthenticationCa,
    };
    cardAuthentication = await issueCertificate({
      ...leafBase,
      profile: 'jpki-card-user-authentication',
      serialNumber: '0A1B2C3D4E5F',
      subject: userAuthenticationSubject('CARD0123456789AB'),
      subjectPublicKeyInfo: holder.publicKeySpki,
      validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 1500) },
    });
    phoneAuthentication = await issueCertificate({
      ...leafBase,
      profile: 'jpki-phone-user-authentication',
      serialNumber: 0x7e57n,
      subject: userAuthenticationSubject('PHONE0123456789AB'),
      subjectPublicKeyInfo: phone.publicKeySpki,
      validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 1500) },
      cardCertificateNotAfter: decodeCertificate(cardAuthentication).tbs.notAfter,
    });
    cardSigning = await issueCertificate({
      profile: 'jpki-card-digital-signature',
      serialNumber: 0x51n,
      subject: digitalSignatureSubject({ prefecture: 'Tokyo-to', municipality: 'Chiyoda-ku', commonName: '20250401120000000001A1' }),
      subjectPublicKeyInfo: holder.publicKeySpki,
      validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 1500) },
      issuer: pki.digitalSignatureCa,
      personalData: PERSONAL_DATA,
      crlDistributionPointUri: TEST_URLS.digitalSignatureCrl,
      ocspUri: TEST_URLS.digitalSignatureOcsp,
    });
    await Promise.all([
      openssl.write('root.pem', toPem(pki.root.certificate, 'CERTIFICATE')),
      openssl.write('auth-ca.pem', toPem(pki.userAuthenticationCa.certificate, 'CERTIFICATE')),
      openssl.write('sign-ca.pem', toPem(pki.digitalSignatureCa.certificate, 'CERTIFICATE')),
      openssl.write('responder.pem', toPem(pki.userAuthenticationResponder.certificate, 'CERTIFICATE')),
      openssl.write('phone.pem', toPem(phoneAuthentication, 'CERTIFICATE')),
      openssl.write('card-auth.pem', toPem(cardAuthentication, 'CERTIFICATE')),
      openssl.write('card-sign.pem', toPem(cardSigning, 'CERTIFICATE')),
      openssl.write('card-sign.der', cardSigning),
    ]);
  });

  afterAll(() => openssl.dispose());

  it.each([
    ['auth-ca.pem', 'phone.pem'],
    ['auth-ca.pem', 'card-auth.pem'],
    ['auth-ca.pem', 'responder.pem'],
    ['sign-ca.pem', 'card-sign.pem'],
  ])('openssl verify accepts root → %s → %s', async (intermediate, leaf) => {
    const result = await openssl.run(['verify', '-x509_strict', '-CAfile', 'root.pem', '-untrusted', intermediate, leaf]);
    expect(result.output).toContain(`${leaf}: OK`);
    expect(result.code).toBe(0);
  });

  it('openssl rejects the phone certificate against the wrong issuing CA', async () => {
    const result = await openssl.run(['verify', '-CAfile', 'root.pem', '-untrusted', 'sign-ca.pem', 'phone.pem']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/unable to get local issuer certificate/);
  });

  it('phone certificate carries the user-authentication profile and no personal data', async () => {
    const { stdout } = await openssl.run(['x509', '-in', 'phone.pem', '-noout', '-text', '-nameopt', 'RFC2253']);
    expect(stdout).toContain('Subject: CN=PHONE0123456789AB,C=JP');
    expect(stdout).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(stdout).toContain(JpkiOid.policyPhoneUserAuthentication);
    expect(stdout).toContain(`URI:${TEST_URLS.userAuthenticationCrl}`);
    expect(stdout).toContain(`OCSP - URI:${TEST_URLS.userAuthenticationOcsp}`);
    expect(stdout).toContain('X509v3 Authority Key Identifier');
    expect(stdout).toContain('X509v3 Subject Key Identifier');
    expect(stdout).toContain('X509v3 Issuer Alternative Name');
    expect(stdout).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(stdout).not.toContain('Subject Alternative Name');
    expect(stdout).not.toContain('Basic Constraints');
  });

  it('card signing certificate carries locality, nonRepudiation, policy and personal-data otherNames', async () => {
    const { stdout } = await openssl.run(['x509', '-in', 'card-sign.pem', '-noout', '-text', '-nameopt', 'RFC2253,-esc_msb']);
    expect(stdout).toContain('Subject: CN=20250401120000000001A1,L=Chiyoda-ku,L=Tokyo-to,C=JP');
    expect(stdout).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(stdout).toContain(JpkiOid.policyDigitalSignature);
    for (const oid of ['1.2.392.200149.8.5.5.1', '1.2.392.200149.8.5.5.3', '1.2.392.200149.8.5.5.4', '1.2.392.200149.8.5.5.5']) {
      expect(stdout).toContain(`othername: ${oid}::`);
    }
    // OpenSSL prints DirName values as escaped UTF-8 octets: the O value is UTF8String 公的個人認証サービス.
    const utf8Escaped = [...Buffer.from('公的個人認証サービス', 'utf8')].map((b) => `\\x${b.toString(16).toUpperCase()}`).join('');
    expect(stdout).toContain(`DirName:/C=JP/O=${utf8Escaped}`);
    expect(readJpkiPersonalData(cardSigning)).toEqual(PERSONAL_DATA);
  });

  it('CA and responder certificates carry the CA and delegated-responder extensions', async () => {
    const ca = await openssl.run(['x509', '-in', 'auth-ca.pem', '-noout', '-text']);
    expect(ca.stdout).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(ca.stdout).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(ca.stdout).toContain('SIMULATED JPKI User Authentication CA');
    const responder = await openssl.run(['x509', '-in', 'responder.pem', '-noout', '-text']);
    expect(responder.stdout).toMatch(/X509v3 Extended Key Usage:\s+OCSP Signing/);
    expect(responder.stdout).toContain('OCSP No Check');
    const purpose = await openssl.run(['verify', '-purpose', 'ocsphelper', '-CAfile', 'root.pem', '-untrusted', 'auth-ca.pem', 'responder.pem']);
    expect(purpose.code).toBe(0);
  });

  it('openssl asn1parse parses every certificate', async () => {
    for (const file of ['root.pem', 'auth-ca.pem', 'sign-ca.pem', 'responder.pem', 'phone.pem', 'card-auth.pem', 'card-sign.pem']) {
      const result = await openssl.run(['asn1parse', '-in', file]);
      expect({ file, code: result.code, error: result.stderr }).toEqual({ file, code: 0, error: '' });
    }
  });

  describe('pre-issuance lint aborts the issuance', () => {
    const phoneRequest = () => ({
      profile: 'jpki-phone-user-authentication' as const,
      serialNumber: 0x7e58n,
      subject: userAuthenticationSubject('PHONE-LINT'),
      subjectPublicKeyInfo: phone.publicKeySpki,
      validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 1000) },
      issuer: pki.userAuthenticationCa,
      crlDistributionPointUri: TEST_URLS.userAuthenticationCrl,
      ocspUri: TEST_URLS.userAuthenticationOcsp,
      cardCertificateNotAfter: decodeCertificate(cardAuthentication).tbs.notAfter,
    });

    /** Issues through a CA signer that counts its uses: a lint rejection must leave it untouched. */
    async function rejectionCodes(request: Parameters<typeof issueCertificate>[0]): Promise<string[]> {
      const caSigner = request.issuer.signer;
      const signCalls: Buffer[] = [];
      const countingSigner = { publicKeySpki: caSigner.publicKeySpki, sign: (data: Buffer) => (signCalls.push(data), caSigner.sign(data)) };
      const error = await issueCertificate({ ...request, issuer: { ...request.issuer, signer: countingSigner } }).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(LintRejectionError);
      expect(signCalls).toHaveLength(0);
      return (error as LintRejectionError).findings.map((f) => f.code);
    }

    it('accepts the well-formed phone request (control)', async () => {
      expect((await prepareCertificate(phoneRequest())).findings).toEqual([]);
    });

    it('rejects personal data in a phone user-authentication certificate', async () => {
      expect(await rejectionCodes({ ...phoneRequest(), personalData: PERSONAL_DATA })).toEqual([
        'PERSONAL_DATA_IN_USER_AUTHENTICATION_CERTIFICATE',
      ]);
    });

    it('rejects a locality in a phone user-authentication subject', async () => {
      const subject = [{ type: 'C', value: 'JP' }, { type: 'L', value: 'Tokyo-to' }, { type: 'CN', value: 'PHONE-LINT' }] as const;
      expect(await rejectionCodes({ ...phoneRequest(), subject })).toEqual(
        expect.arrayContaining(['PERSONAL_DATA_IN_USER_AUTHENTICATION_CERTIFICATE', 'SUBJECT_SHAPE_MISMATCH']),
      );
    });

    it('rejects an RSA-1024 subject key', async () => {
      const weak = await SoftwareRsaSigner.generate(1024);
      expect(await rejectionCodes({ ...phoneRequest(), subjectPublicKeyInfo: weak.publicKeySpki })).toEqual(['RSA_KEY_TOO_SMALL']);
    });

    it("rejects a validity beyond the card certificate's notAfter", async () => {
      const request = phoneRequest();
      const notAfter = new Date(request.cardCertificateNotAfter.getTime() + 1000);
      expect(await rejectionCodes({ ...request, validity: { notBefore: pki.now, notAfter } })).toEqual(['VALIDITY_EXCEEDS_CARD_CERTIFICATE']);
    });

    it('rejects a phone certificate without the card bound, and one outliving its CA', async () => {
      expect(await rejectionCodes({ ...phoneRequest(), cardCertificateNotAfter: undefined })).toEqual(['CARD_CERTIFICATE_NOT_AFTER_MISSING']);
      const notAfter = daysFrom(decodeCertificate(pki.userAuthenticationCa.certificate).tbs.notAfter, 1);
      const validity = { notBefore: daysFrom(notAfter, -1000), notAfter };
      const codes = await rejectionCodes({ ...phoneRequest(), validity, cardCertificateNotAfter: notAfter });
      expect(codes).toEqual(['VALIDITY_EXCEEDS_ISSUER']);
    });

    it('rejects a leaf without CRL DP / OCSP URI, a too-long serial and a signer that is not the issuer', async () => {
      const base = phoneRequest();
      const codes = await rejectionCodes({
        ...base,
        crlDistributionPointUri: undefined,
        ocspUri: undefined,
        serialNumber: `7F${'00'.repeat(20)}`,
        issuer: { certificate: pki.userAuthenticationCa.certificate, signer: pki.digitalSignatureCa.signer },
      });
      expect(codes.sort()).toEqual(['CRL_DISTRIBUTION_POINT_MISSING', 'ISSUER_KEY_MISMATCH', 'OCSP_URI_MISSING', 'SERIAL_TOO_LONG']);
    });

    it('rejects an over-long CN and a card signing certificate without personal data', async () => {
      expect(await rejectionCodes({ ...phoneRequest(), subject: userAuthenticationSubject('X'.repeat(65)) })).toEqual(['SUBJECT_ATTRIBUTE_TOO_LONG']);
      const codes = await rejectionCodes({
        ...phoneRequest(),
        profile: 'jpki-card-digital-signature',
        issuer: pki.digitalSignatureCa,
        subject: digitalSignatureSubject({ prefecture: 'Tokyo-to', municipality: 'Chiyoda-ku', commonName: 'X' }),
      });
      expect(codes).toEqual(['PERSONAL_DATA_MISSING']);
    });
  });
});
