/** Test helper: a SIMULATED JPKI hierarchy (root → user-auth CA / signing CA → responders) built once per spec file. */
import { wholeSeconds } from '../lib/asn1/pkijs-interop';
import { issueCertificate, type IssueCertificateRequest } from '../lib/issuance/issue-certificate';
import { JPKI_ROOT_CA_NAME, jpkiIssuingCaName, jpkiOcspResponderName, userAuthenticationSubject, type JpkiCaFunction } from '../lib/jpki/jpki-names';
import { SoftwareRsaSigner } from '../lib/keys/signer';

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
  /** `signer`'s certificate, valid from `days[0]` to `days[1]` days from now, issued by `issuer` (self-signed without one). */
  const authority = async (signer: SoftwareRsaSigner, days: [number, number], request: AuthorityRequest, issuer?: TestAuthority): Promise<TestAuthority> => {
    const validity = { notBefore: daysFrom(now, days[0]), notAfter: daysFrom(now, days[1]) };
    return { certificate: await issueCertificate({ ...request, subjectPublicKeyInfo: signer.publicKeySpki, validity, issuer: issuer ?? { signer } }), signer };
  };
  const root = await authority(rootSigner, [-30, 7000], { profile: 'jpki-root-ca', serialNumber: 1n, subject: JPKI_ROOT_CA_NAME });
  const issuingCa = (caFunction: JpkiCaFunction, signer: SoftwareRsaSigner, serialNumber: bigint) =>
    authority(signer, [-20, 3600], { profile: `jpki-${caFunction}-ca`, serialNumber, subject: jpkiIssuingCaName(caFunction), crlDistributionPointUri: TEST_URLS.rootCrl }, root);
  const responder = (caFunction: JpkiCaFunction, signer: SoftwareRsaSigner, serialNumber: bigint, ca: TestAuthority) =>
    authority(signer, [-1, 60], { profile: 'jpki-ocsp-responder', serialNumber, subject: jpkiOcspResponderName(caFunction) }, ca);
  const userAuthenticationCa = await issuingCa('user-authentication', authSigner, 0x10n);
  const digitalSignatureCa = await issuingCa('digital-signature', signSigner, 0x11n);
  return {
    now,
    root,
    userAuthenticationCa,
    digitalSignatureCa,
    userAuthenticationResponder: await responder('user-authentication', authResponderSigner, 0x0a01n, userAuthenticationCa),
    digitalSignatureResponder: await responder('digital-signature', signResponderSigner, 0x0b01n, digitalSignatureCa),
  };
}

type AuthorityRequest = Pick<IssueCertificateRequest, 'profile' | 'serialNumber' | 'subject' | 'crlDistributionPointUri'>;

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
