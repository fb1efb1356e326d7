/** Test helper: a SIMULATED JPKI hierarchy (root → user-auth CA / signing CA → responders) built once per spec file. */
import { wholeSeconds } from '../asn1/pkijs-interop';
import { issueCertificate } from '../issuance/issue-certificate';
import { JPKI_ROOT_CA_NAME, jpkiIssuingCaName, jpkiOcspResponderName, userAuthenticationSubject, type JpkiCaFunction } from '../jpki/jpki-names';
import { SoftwareRsaSigner } from '../keys/signer';

export const DAY_MS = 86_400_000;

export interface TestAuthority {
  readonly certificate: Buffer;
  readonly signer: SoftwareRsaSigner;
}

export interface TestHierarchy {
  readonly now: Date;
  readonly root: TestAuthority;
  readonly userAuthenticationCa: TestAuthority;
  readonly digitalSignatureCa: TestAuthority;
  readonly userAuthenticationResponder: TestAuthority;
  readonly digitalSignatureResponder: TestAuthority;
}

export const TEST_URLS = {
  userAuthenticationCrl: 'http://crl.jpki.example/user-authentication.crl',
  digitalSignatureCrl: 'http://crl.jpki.example/digital-signature.crl',
  rootCrl: 'http://crl.jpki.example/root.crl',
  userAuthenticationOcsp: 'http://ocsp.jpki.example/user-authentication',
  digitalSignatureOcsp: 'http://ocsp.jpki.example/digital-signature',
} as const;

export function daysFrom(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

export async function createTestHierarchy(now = wholeSeconds(new Date())): Promise<TestHierarchy> {
  const [rootSigner, authSigner, signSigner, authResponderSigner, signResponderSigner] = await Promise.all(
    Array.from({ length: 5 }, () => SoftwareRsaSigner.generate()),
  );
  const root = await createRoot(rootSigner, now);
  const userAuthenticationCa = await createIssuingCa('user-authentication', authSigner, root, now);
  const digitalSignatureCa = await createIssuingCa('digital-signature', signSigner, root, now);
  return {
    now,
    root,
    userAuthenticationCa,
    digitalSignatureCa,
    userAuthenticationResponder: await createResponder('user-authentication', authResponderSigner, userAuthenticationCa, now),
    digitalSignatureResponder: await createResponder('digital-signature', signResponderSigner, digitalSignatureCa, now),
  };
}

async function createRoot(signer: SoftwareRsaSigner, now: Date): Promise<TestAuthority> {
  const certificate = await issueCertificate({
    profile: 'jpki-root-ca',
    serialNumber: 1n,
    subject: JPKI_ROOT_CA_NAME,
    subjectPublicKeyInfo: signer.publicKeySpki,
    validity: { notBefore: daysFrom(now, -30), notAfter: daysFrom(now, 7000) },
    issuer: { signer },
  });
  return { certificate, signer };
}

async function createIssuingCa(caFunction: JpkiCaFunction, signer: SoftwareRsaSigner, root: TestAuthority, now: Date): Promise<TestAuthority> {
  const certificate = await issueCertificate({
    profile: caFunction === 'user-authentication' ? 'jpki-user-authentication-ca' : 'jpki-digital-signature-ca',
    serialNumber: caFunction === 'user-authentication' ? 0x10n : 0x11n,
    subject: jpkiIssuingCaName(caFunction),
    subjectPublicKeyInfo: signer.publicKeySpki,
    validity: { notBefore: daysFrom(now, -20), notAfter: daysFrom(now, 3600) },
    issuer: root,
    crlDistributionPointUri: TEST_URLS.rootCrl,
  });
  return { certificate, signer };
}

async function createResponder(caFunction: JpkiCaFunction, signer: SoftwareRsaSigner, ca: TestAuthority, now: Date): Promise<TestAuthority> {
  const certificate = await issueCertificate({
    profile: 'jpki-ocsp-responder',
    serialNumber: caFunction === 'user-authentication' ? 0x0a01n : 0x0b01n,
    subject: jpkiOcspResponderName(caFunction),
    subjectPublicKeyInfo: signer.publicKeySpki,
    validity: { notBefore: daysFrom(now, -1), notAfter: daysFrom(now, 60) },
    issuer: ca,
  });
  return { certificate, signer };
}

/** A phone 利用者証明用 certificate under the user-authentication CA, bound to a card certificate ending in 1500 days. */
export function issuePhoneCertificate(pki: TestHierarchy, serialNumber: bigint, subjectPublicKeyInfo: Buffer): Promise<Buffer> {
  return issueCertificate({
    profile: 'jpki-phone-user-authentication',
    serialNumber,
    subject: userAuthenticationSubject(`PHONE${serialNumber.toString(16).toUpperCase().padStart(12, '0')}`),
    subjectPublicKeyInfo,
    validity: { notBefore: daysFrom(pki.now, -1), notAfter: daysFrom(pki.now, 1000) },
    issuer: pki.userAuthenticationCa,
    crlDistributionPointUri: TEST_URLS.userAuthenticationCrl,
    ocspUri: TEST_URLS.userAuthenticationOcsp,
    cardCertificateNotAfter: daysFrom(pki.now, 1500),
  });
}
