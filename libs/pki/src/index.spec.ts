/** The identity-proofing → phone-issuance → loss/found story, through the public entry point only. */
import { constants, privateEncrypt } from 'node:crypto';
import {
  applyDeltaCrl,
  buildCsr,
  buildOcspRequest,
  createDigestInfoSigner,
  crlCertificateStatus,
  decodeCertificate,
  digitalSignatureSubject,
  exportSpkiDer,
  formatDistinguishedName,
  generateRsaKeyPair,
  issueCertificate,
  issueCrl,
  jpkiDateOfBirth,
  JpkiOid,
  parseCrl,
  readCertificateExtensions,
  readJpkiPersonalData,
  respondToOcspRequest,
  signCms,
  userAuthenticationSubject,
  validateCertificate,
  verifyCms,
  verifyCsr,
  verifyOcspResponse,
  type RevocationChecker,
  type RsaKeyPair,
  type Signer,
} from './index';
import { createTestHierarchy, daysFrom, TEST_URLS, type TestHierarchy } from './test/test-hierarchy';

/** A card or SIM applet: holds the private key and signs DigestInfos (PKCS#1 v1.5 type 1) on command. */
function simulatedApplet(keyPair: RsaKeyPair): { signer: Signer } {
  const signer = createDigestInfoSigner(exportSpkiDer(keyPair.publicKey), async (digestInfo) =>
    privateEncrypt({ key: keyPair.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo),
  );
  return { signer };
}

describe('@jpki/pki public API: identity proofing, phone issuance, loss and recovery', () => {
  let pki: TestHierarchy;
  let card: ReturnType<typeof simulatedApplet>;
  let sim: ReturnType<typeof simulatedApplet>;
  let cardSigning: Buffer;
  let cardAuthentication: Buffer;

  beforeAll(async () => {
    const [hierarchy, cardKey, simKey] = await Promise.all([createTestHierarchy(), generateRsaKeyPair(), generateRsaKeyPair()]);
    pki = hierarchy;
    card = simulatedApplet(cardKey);
    sim = simulatedApplet(simKey);
    const validity = { notBefore: daysFrom(pki.now, -10), notAfter: daysFrom(pki.now, 1400) };
    cardSigning = await issueCertificate({
      profile: 'jpki-card-digital-signature',
      serialNumber: 0x9001n,
      subject: digitalSignatureSubject({ prefecture: 'Fukuoka-ken', municipality: 'Fukuoka-shi', commonName: '20260101000000000009C3' }),
      subjectPublicKeyInfo: card.signer.publicKeySpki,
      validity,
      issuer: pki.digitalSignatureCa,
      personalData: { name: '試験　一郎', gender: '1', dateOfBirth: jpkiDateOfBirth('1970-01-01'), address: '福岡県福岡市博多区' },
      crlDistributionPointUri: TEST_URLS.digitalSignatureCrl,
      ocspUri: TEST_URLS.digitalSignatureOcsp,
    });
    cardAuthentication = await issueCertificate({
      profile: 'jpki-card-user-authentication',
      serialNumber: 0x9002n,
      subject: userAuthenticationSubject('CARDAUTH9002'),
      subjectPublicKeyInfo: card.signer.publicKeySpki,
      validity,
      issuer: pki.userAuthenticationCa,
      crlDistributionPointUri: TEST_URLS.userAuthenticationCrl,
      ocspUri: TEST_URLS.userAuthenticationOcsp,
    });
  });

  const ocspChecker: RevocationChecker = async (certificate, issuer) => {
    if (issuer.equals(pki.root.certificate)) return { status: 'good' };
    const request = buildOcspRequest({ certificate, issuerCertificate: issuer });
    const response = await respondToOcspRequest(request.der, {
      authorities: [
        { issuerCertificate: pki.digitalSignatureCa.certificate, responder: pki.digitalSignatureResponder },
        { issuerCertificate: pki.userAuthenticationCa.certificate, responder: pki.userAuthenticationResponder },
      ],
      lookup: async () => ({ status: 'good' }),
      now: () => pki.now,
      validityMs: 300_000,
    });
    const verified = verifyOcspResponse({ response, certificate, issuerCertificate: issuer, nonce: request.nonce, at: pki.now });
    if (!verified.ok) throw new Error(verified.reason);
    return verified.certificateStatus;
  };

  it('proofs identity from a card-signed application, issues the phone certificate from a SIM CSR, then holds and releases it', async () => {
    // 1. Device: the card signs the application.
    const application = Buffer.from(JSON.stringify({ msisdn: '+81-80-1111-2222', carrier: 'kddi' }));
    const signed = await signCms(application, cardSigning, card.signer, { signingTime: pki.now });

    // 2. CA: signature, chain to the signing CA, policy, nonRepudiation, OCSP status; then the 基本4情報.
    const proof = verifyCms(signed);
    if (!proof.signatureValid) throw new Error(proof.reason);
    const chain = await validateCertificate({
      certificate: proof.signerCertificate,
      intermediates: [pki.digitalSignatureCa.certificate],
      trustAnchors: [pki.root.certificate],
      at: pki.now,
      expectedIssuers: [pki.digitalSignatureCa.certificate],
      requiredPolicies: [JpkiOid.policyDigitalSignature, JpkiOid.policyDigitalSignatureTest],
      requiredKeyUsage: ['nonRepudiation'],
      revocation: ocspChecker,
    });
    expect(chain.ok).toBe(true);
    expect(readJpkiPersonalData(proof.signerCertificate)).toMatchObject({ name: '試験　一郎', dateOfBirth: '319700101' });

    // 3. SP-TSM: the SIM applet generated a key; its CSR is signed through the applet's DigestInfo command.
    const csr = await buildCsr({ subject: userAuthenticationSubject('PHONE9003'), signer: sim.signer });
    const request = verifyCsr(csr, { allowedSubjectAttributes: ['C', 'CN'] });
    const phone = await issueCertificate({
      profile: 'jpki-phone-user-authentication',
      serialNumber: 0x9003n,
      subject: userAuthenticationSubject('PHONE9003'),
      subjectPublicKeyInfo: request.subjectPublicKeyInfo,
      validity: { notBefore: pki.now, notAfter: decodeCertificate(cardAuthentication).tbs.notAfter },
      issuer: pki.userAuthenticationCa,
      crlDistributionPointUri: TEST_URLS.userAuthenticationCrl,
      ocspUri: TEST_URLS.userAuthenticationOcsp,
      cardCertificateNotAfter: decodeCertificate(cardAuthentication).tbs.notAfter,
    });
    const phoneTbs = decodeCertificate(phone).tbs;
    expect(formatDistinguishedName(phoneTbs.subject)).toBe('C=JP, CN=PHONE9003');
    const phoneExtensions = readCertificateExtensions(phoneTbs.extensions);
    expect(phoneExtensions.subjectAltName).toBeUndefined();
    expect(phoneExtensions.certificatePolicies).toEqual([JpkiOid.policyPhoneUserAuthentication]);

    // 4. Loss: certificateHold in the complete CRL; found again: removeFromCRL in the delta.
    const issuer = pki.userAuthenticationCa;
    const hold = parseCrl(await issueCrl({ issuer, crlNumber: 100n, thisUpdate: pki.now, nextUpdate: daysFrom(pki.now, 1), entries: [{ serialNumber: 0x9003n, revocationDate: pki.now, reason: 'certificateHold' }] }));
    const release = parseCrl(await issueCrl({ issuer, crlNumber: 101n, baseCrlNumber: 100n, thisUpdate: pki.now, nextUpdate: daysFrom(pki.now, 1), entries: [{ serialNumber: 0x9003n, revocationDate: pki.now, reason: 'removeFromCRL' }] }));
    const viaCrl = (entries: Parameters<typeof crlCertificateStatus>[0]): RevocationChecker => async (certificate, issuerCertificate) =>
      issuerCertificate.equals(pki.root.certificate) ? { status: 'good' } : crlCertificateStatus(entries, decodeCertificate(certificate).tbs.serialNumber);
    const phoneOptions = { certificate: phone, intermediates: [issuer.certificate], trustAnchors: [pki.root.certificate], at: pki.now };
    expect(await validateCertificate({ ...phoneOptions, revocation: viaCrl(hold) })).toMatchObject({ ok: false, reason: 'ON_HOLD' });
    expect(await validateCertificate({ ...phoneOptions, revocation: viaCrl({ entries: applyDeltaCrl(hold, release) }) })).toMatchObject({ ok: true });
  });
});
