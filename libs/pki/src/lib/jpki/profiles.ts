/**
 * Certificate profiles of the SIMULATED JPKI hierarchy. Card profiles follow what is publicly observed
 * of J-LIS certificates (docs/DESIGN.md §3.6); the phone profile is invented (its real profile is not public)
 * with the same shape as the card 利用者証明用 certificate.
 */
import { Oid } from '../asn1/oids';
import type { NameAttributeType } from '../names/distinguished-name';
import type { KeyUsageName } from '../x509/extensions';
import { JpkiOid } from './jpki-oids';

export type JpkiProfileId =
  | 'jpki-root-ca'
  | 'jpki-user-authentication-ca'
  | 'jpki-digital-signature-ca'
  | 'jpki-ocsp-responder'
  | 'jpki-card-digital-signature'
  | 'jpki-card-user-authentication'
  | 'jpki-phone-digital-signature'
  | 'jpki-phone-user-authentication';

export type CertificateKind = 'root-ca' | 'issuing-ca' | 'ocsp-responder' | 'subscriber';

export interface CertificateProfile {
  readonly id: JpkiProfileId;
  readonly kind: CertificateKind;
  readonly keyUsage: readonly KeyUsageName[];
  /** basicConstraints pathLenConstraint for CA profiles. */
  readonly pathLength?: number;
  readonly extendedKeyUsage: readonly string[];
  readonly ocspNoCheck: boolean;
  /** Allowed certificatePolicies; issuance asserts the first. Empty = no extension. */
  readonly policyOids: readonly string[];
  readonly personalData: 'required' | 'forbidden';
  /** Exact sequence of subject attribute types, or the set allowed in any order when `subjectShape` is 'set'. */
  readonly subjectAttributes: readonly NameAttributeType[];
  readonly subjectShape: 'exact' | 'set';
  readonly requiresCrlDistributionPoint: boolean;
  readonly requiresOcspUri: boolean;
  readonly issuerAltName: boolean;
  readonly maxValidityDays: number;
  /** Validity must end no later than the holder's card 利用者証明用 certificate. */
  readonly boundToCardCertificate: boolean;
  /**
   * Subject keys may also be EC P-256 (named curve prime256v1, uncompressed point): only the phone
   * profile, for iPhone Secure Enclave keys (P-256 only). Absent/false: RSA ≥ 2048, e = 65537 only.
   * The CA additionally allows EC only when the device binding is an iPhone.
   */
  readonly allowsEcP256?: boolean;
}

const CA_SUBJECT: readonly NameAttributeType[] = ['C', 'O', 'OU', 'CN'];
const CA_KEY_USAGE: readonly KeyUsageName[] = ['keyCertSign', 'cRLSign'];
/** Card certificates run to the 5th birthday after issuance (6th when re-issued in the last 3 months). */
const SUBSCRIBER_MAX_DAYS = 5 * 366 + 92;

const ROOT_CA_PROFILE: CertificateProfile = {
  id: 'jpki-root-ca',
  kind: 'root-ca',
  keyUsage: CA_KEY_USAGE,
  pathLength: 1,
  extendedKeyUsage: [],
  ocspNoCheck: false,
  policyOids: [],
  personalData: 'forbidden',
  subjectAttributes: CA_SUBJECT,
  subjectShape: 'set',
  requiresCrlDistributionPoint: false,
  requiresOcspUri: false,
  issuerAltName: true,
  maxValidityDays: 20 * 366,
  boundToCardCertificate: false,
};

export const JPKI_PROFILES: Readonly<Record<JpkiProfileId, CertificateProfile>> = {
  'jpki-root-ca': ROOT_CA_PROFILE,
  'jpki-user-authentication-ca': issuingCa('jpki-user-authentication-ca'),
  'jpki-digital-signature-ca': issuingCa('jpki-digital-signature-ca'),
  'jpki-ocsp-responder': {
    id: 'jpki-ocsp-responder',
    kind: 'ocsp-responder',
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [Oid.kpOcspSigning],
    // id-pkix-ocsp-nocheck: relying parties do not check the responder's own status, so keep it short-lived.
    ocspNoCheck: true,
    policyOids: [],
    personalData: 'forbidden',
    subjectAttributes: CA_SUBJECT,
    subjectShape: 'set',
    requiresCrlDistributionPoint: false,
    requiresOcspUri: false,
    issuerAltName: true,
    maxValidityDays: 90,
    boundToCardCertificate: false,
  },
  'jpki-card-digital-signature': digitalSignature('jpki-card-digital-signature', [JpkiOid.policyDigitalSignature, JpkiOid.policyDigitalSignatureTest], false),
  /** The phone signing certificate: the card's profile (personal data included), bounded by the card signing certificate. */
  'jpki-phone-digital-signature': digitalSignature('jpki-phone-digital-signature', [JpkiOid.policyPhoneDigitalSignature], true),
  'jpki-card-user-authentication': userAuthentication('jpki-card-user-authentication', JpkiOid.policyUserAuthentication, false),
  'jpki-phone-user-authentication': {
    ...userAuthentication('jpki-phone-user-authentication', JpkiOid.policyPhoneUserAuthentication, true),
    allowsEcP256: true,
  },
};

function issuingCa(id: JpkiProfileId): CertificateProfile {
  return {
    ...ROOT_CA_PROFILE,
    id,
    kind: 'issuing-ca',
    pathLength: 0,
    policyOids: [Oid.anyPolicy],
    maxValidityDays: 10 * 366 + 1,
    requiresCrlDistributionPoint: true,
  };
}

function digitalSignature(id: JpkiProfileId, policyOids: readonly string[], boundToCardCertificate: boolean): CertificateProfile {
  return subscriber(id, { keyUsage: ['digitalSignature', 'nonRepudiation'], policyOids, personalData: 'required', subjectAttributes: ['C', 'L', 'L', 'CN'], boundToCardCertificate });
}

function userAuthentication(id: JpkiProfileId, policyOid: string, boundToCardCertificate: boolean): CertificateProfile {
  return subscriber(id, { keyUsage: ['digitalSignature'], policyOids: [policyOid], personalData: 'forbidden', subjectAttributes: ['C', 'CN'], boundToCardCertificate });
}

function subscriber(
  id: JpkiProfileId,
  p: Pick<CertificateProfile, 'keyUsage' | 'policyOids' | 'personalData' | 'subjectAttributes' | 'boundToCardCertificate'>,
): CertificateProfile {
  return {
    id,
    kind: 'subscriber',
    extendedKeyUsage: [],
    ocspNoCheck: false,
    subjectShape: 'exact',
    requiresCrlDistributionPoint: true,
    requiresOcspUri: true,
    issuerAltName: true,
    maxValidityDays: SUBSCRIBER_MAX_DAYS,
    ...p,
  };
}

export function jpkiProfile(profile: JpkiProfileId | CertificateProfile): CertificateProfile {
  return typeof profile === 'string' ? JPKI_PROFILES[profile] : profile;
}

export function isUserAuthenticationProfile(profile: CertificateProfile): boolean {
  return profile.id === 'jpki-card-user-authentication' || profile.id === 'jpki-phone-user-authentication';
}
