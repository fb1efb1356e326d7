import { constants, privateEncrypt } from 'node:crypto';
import { toPem } from '../encoding/pem';
import { issueCertificate } from '../issuance/issue-certificate';
import { digitalSignatureSubject } from '../jpki/jpki-names';
import { jpkiDateOfBirth } from '../jpki/personal-data';
import { exportPkcs8Der, generateRsaKeyPair, type RsaKeyPair } from '../keys/rsa-keys';
import { createDigestInfoSigner, SoftwareRsaSigner } from '../keys/signer';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, TEST_URLS, type TestHierarchy } from '../../test/test-hierarchy';
import { signCms, verifyCms, type CmsVerification } from './signed-data';

const APPLICATION = Buffer.from(JSON.stringify({ msisdn: '+81-90-0000-0000', carrier: 'docomo', nonce: 'c2ltdWxhdGVk' }));

describe('CMS SignedData for identity proofing, judged by OpenSSL', () => {
  let pki: TestHierarchy;
  let openssl: OpenSslWorkspace;
  let cardKey: RsaKeyPair;
  let cardCertificate: Buffer;
  let otherSigner: SoftwareRsaSigner;

  beforeAll(async () => {
    [pki, openssl, cardKey, otherSigner] = await Promise.all([
      createTestHierarchy(),
      OpenSslWorkspace.create(),
      generateRsaKeyPair(),
      SoftwareRsaSigner.generate(),
    ]);
    cardCertificate = await issueCertificate({
      profile: 'jpki-card-digital-signature',
      serialNumber: 0x5100n,
      subject: digitalSignatureSubject({ prefecture: 'Osaka-fu', municipality: 'Osaka-shi', commonName: '20250101000000000001B2' }),
      subjectPublicKeyInfo: new SoftwareRsaSigner(cardKey.privateKey).publicKeySpki,
      validity: { notBefore: daysFrom(pki.now, -1), notAfter: daysFrom(pki.now, 1000) },
      issuer: pki.digitalSignatureCa,
      personalData: { name: '個人 太郎', gender: '1', dateOfBirth: jpkiDateOfBirth('1985-06-15'), address: '大阪府大阪市北区中之島１丁目３番２０号' },
      crlDistributionPointUri: TEST_URLS.digitalSignatureCrl,
      ocspUri: TEST_URLS.digitalSignatureOcsp,
    });
    await Promise.all([
      openssl.write('root.pem', toPem(pki.root.certificate, 'CERTIFICATE')),
      openssl.write('sign-ca.pem', toPem(pki.digitalSignatureCa.certificate, 'CERTIFICATE')),
      openssl.write('card.pem', toPem(cardCertificate, 'CERTIFICATE')),
      openssl.write('card-key.pem', toPem(exportPkcs8Der(cardKey.privateKey), 'PRIVATE KEY')),
      openssl.write('application.json', APPLICATION),
    ]);
  });

  afterAll(() => openssl.dispose());

  /** The virtual My Number card: its applet signs a DigestInfo with the raw RSA key. */
  const cardSigner = () =>
    createDigestInfoSigner(new SoftwareRsaSigner(cardKey.privateKey).publicKeySpki, async (digestInfo) =>
      privateEncrypt({ key: cardKey.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo),
    );

  const cmsVerify = (file: string, ...extra: string[]) =>
    openssl.run(['cms', '-verify', '-in', file, '-inform', 'DER', '-CAfile', 'root.pem', '-binary', ...extra]);

  it('openssl cms -verify accepts SignedData signed by the card applet, and returns the content', async () => {
    const signingTime = new Date('2026-04-01T09:00:00Z');
    // The issuing CA travels inside the SignedData: `openssl cms -verify` only builds chains from embedded certificates.
    const additionalCertificates = [pki.digitalSignatureCa.certificate];
    const signed = await signCms(APPLICATION, cardCertificate, cardSigner(), { signingTime, additionalCertificates });
    await openssl.write('application.p7m', signed);
    const result = await cmsVerify('application.p7m', '-out', 'verified.json', '-attime', String(Math.floor(pki.now.getTime() / 1000)));
    expect(result.stderr).toContain('Verification successful');
    expect(await openssl.read('verified.json')).toEqual(APPLICATION);
    const printed = await openssl.run(['cms', '-cmsout', '-print', '-in', 'application.p7m', '-inform', 'DER']);
    expect(printed.stdout).toMatch(/algorithm: sha256/);
    expect(printed.stdout).toContain('signingTime');
    expect(printed.stdout).toContain('messageDigest');
    expect(verifyCms(signed)).toEqual({
      signatureValid: true,
      content: APPLICATION,
      signerCertificate: cardCertificate,
      signingTime,
      certificates: expect.arrayContaining([cardCertificate, pki.digitalSignatureCa.certificate]),
    });
  });

  it('rejects tampered content (message digest) and OpenSSL agrees', async () => {
    const signed = await signCms(APPLICATION, cardCertificate, cardSigner(), { additionalCertificates: [pki.digitalSignatureCa.certificate] });
    const tampered = Buffer.from(signed);
    tampered[signed.indexOf(Buffer.from('docomo'))] = 'D'.charCodeAt(0);
    expect(verifyCms(tampered)).toMatchObject({ signatureValid: false, reason: 'CMS_MESSAGE_DIGEST_MISMATCH' });
    await openssl.write('tampered.p7m', tampered);
    expect((await cmsVerify('tampered.p7m', '-out', 'ignored')).output).toContain('Verification failure');
  });

  it('rejects a signature by another key than the certificate, and an unexpected signer', async () => {
    const forged = await signCms(APPLICATION, cardCertificate, otherSigner);
    expect(verifyCms(forged)).toMatchObject({ signatureValid: false, reason: 'CMS_SIGNATURE_INVALID', signerCertificate: cardCertificate });
    const genuine = await signCms(APPLICATION, cardCertificate, cardSigner());
    const expectation = verifyCms(genuine, { expectedSignerCertificate: pki.digitalSignatureCa.certificate });
    expect(expectation).toMatchObject({ signatureValid: false, reason: 'CMS_SIGNER_MISMATCH' });
  });

  it.each([
    ['default OpenSSL signed attributes', ['-nodetach']],
    ['subject key identifier as signer id', ['-nodetach', '-keyid']],
    ['no signed attributes', ['-nodetach', '-noattr']],
  ])('accepts openssl cms -sign -md sha256 output (%s)', async (_label, flags) => {
    const sign = await openssl.run([
      'cms', '-sign', '-in', 'application.json', '-signer', 'card.pem', '-inkey', 'card-key.pem', '-md', 'sha256', '-binary', '-outform', 'DER', '-out', 'openssl.p7m', ...flags,
    ]);
    expect(sign.code).toBe(0);
    const result: CmsVerification = verifyCms(await openssl.read('openssl.p7m'));
    expect(result).toMatchObject({ signatureValid: true, content: APPLICATION, signerCertificate: cardCertificate });
  });

  it('signs detached: openssl cms -verify -content accepts it; the content must be given, and an attached one must be the same bytes', async () => {
    const signed = await signCms(APPLICATION, cardCertificate, cardSigner(), { detached: true });
    await Promise.all([openssl.write('detached-ours.p7s', signed), openssl.write('sign-chain.pem', toPem(pki.root.certificate, 'CERTIFICATE') + toPem(pki.digitalSignatureCa.certificate, 'CERTIFICATE'))]);
    const attime = String(Math.floor(pki.now.getTime() / 1000));
    const judged = await openssl.run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'detached-ours.p7s', '-content', 'application.json', '-CAfile', 'sign-chain.pem', '-attime', attime, '-out', '/dev/null']);
    expect(judged.stderr).toContain('Verification successful');
    expect(verifyCms(signed)).toMatchObject({ signatureValid: false, reason: 'CMS_CONTENT_MISSING' });
    expect(verifyCms(signed, { content: APPLICATION })).toMatchObject({ signatureValid: true, content: APPLICATION, signerCertificate: cardCertificate });
    expect(verifyCms(signed, { content: Buffer.from('another application') })).toMatchObject({ signatureValid: false, reason: 'CMS_MESSAGE_DIGEST_MISMATCH' });
    const attached = await signCms(APPLICATION, cardCertificate, cardSigner());
    expect(verifyCms(attached, { content: APPLICATION })).toMatchObject({ signatureValid: true });
    expect(verifyCms(attached, { content: Buffer.from('another application') })).toMatchObject({ signatureValid: false, reason: 'CMS_CONTENT_MISMATCH' });
  });

  it('handles detached OpenSSL signatures and reports malformed input', async () => {
    await openssl.run(['cms', '-sign', '-in', 'application.json', '-signer', 'card.pem', '-inkey', 'card-key.pem', '-md', 'sha256', '-binary', '-outform', 'DER', '-out', 'detached.p7s']);
    const detached = await openssl.read('detached.p7s');
    expect(verifyCms(detached)).toMatchObject({ signatureValid: false, reason: 'CMS_CONTENT_MISSING' });
    expect(verifyCms(detached, { content: APPLICATION })).toMatchObject({ signatureValid: true });
    expect(verifyCms(Buffer.from('not cms'))).toMatchObject({ signatureValid: false, reason: 'CMS_MALFORMED' });
    expect(verifyCms(cardCertificate)).toMatchObject({ signatureValid: false, reason: 'CMS_MALFORMED' });
  });
});
