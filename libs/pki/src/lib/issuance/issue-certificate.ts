/**
 * Certificate issuance following Boulder's cycle: build the TBS, sign it with a throwaway key into a
 * "linting certificate", lint that, and only then let the CA's Signer sign the very same TBS bytes.
 */
import { signTbs } from '../asn1/pkijs-interop';
import { parseSerialNumber, type SerialNumberInput } from '../encoding/serial-number';
import { encodeJpkiPersonalData, type JpkiPersonalData } from '../jpki/personal-data';
import { JPKI_ISSUER_ALT_NAME } from '../jpki/jpki-names';
import { jpkiProfile, type CertificateProfile, type JpkiProfileId } from '../jpki/profiles';
import type { Signer } from '../keys/signer';
import { lintingSigner } from './linting-signer';
import { lintCertificate, type CertificateLintFinding } from '../lint/certificate-lint';
import { LintRejectionError } from '../lint/lint-finding';
import { encodeDistinguishedName, type DistinguishedName } from '../names/distinguished-name';
import { decodeCertificate, encodeTbsCertificate, type DecodedCertificate } from '../x509/certificate';
import { keyIdentifiers, signCertificate, tbsNames } from '../x509/plain-certificate';
import {
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  extendedKeyUsageExtension,
  issuerAltNameDirectoryExtension,
  keyUsageExtension,
  ocspNoCheckExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  type ExtensionInput,
} from '../x509/extensions';

export interface CertificateIssuer {
  readonly signer: Signer;
  /** Issuing CA certificate (DER); omit only for a self-signed root, which the subject key signs. */
  readonly certificate?: Buffer;
}

export interface CertificateValidity {
  /** Encoded to whole seconds (RFC 5280 forbids fractions). */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IssueCertificateRequest {
  readonly profile: JpkiProfileId | CertificateProfile;
  readonly serialNumber: SerialNumberInput;
  readonly subject: DistinguishedName;
  /** SubjectPublicKeyInfo DER of the key being certified. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly validity: CertificateValidity;
  readonly issuer: CertificateIssuer;
  /** 署名用 certificates only: the 基本4情報 for the subjectAltName. */
  readonly personalData?: JpkiPersonalData;
  readonly crlDistributionPointUri?: string;
  readonly ocspUri?: string;
  readonly caIssuersUri?: string;
  /** Phone certificates: the holder's card 利用者証明用 certificate notAfter (bounds the validity). */
  readonly cardCertificateNotAfter?: Date;
}

export interface PreparedCertificate {
  readonly tbsCertificate: Buffer;
  /** The TBS signed by a throwaway key: safe to store and audit before the real signature exists. */
  readonly lintingCertificate: Buffer;
  readonly findings: readonly CertificateLintFinding[];
}

/** The JPKI TBSCertificate: the signer is sha256WithRSAEncryption whatever signs the linting certificate. */
export function buildTbsCertificate(request: IssueCertificateRequest): Buffer {
  const issuerCertificate = request.issuer.certificate ? decodeCertificate(request.issuer.certificate) : undefined;
  return encodeTbsCertificate({
    ...tbsNames(request.subject, issuerCertificate),
    serialNumber: parseSerialNumber(request.serialNumber),
    signer: {},
    validity: request.validity,
    subjectPublicKeyInfo: request.subjectPublicKeyInfo,
    extensions: certificateExtensions(request, jpkiProfile(request.profile), issuerCertificate),
  });
}

function certificateExtensions(
  request: IssueCertificateRequest,
  profile: CertificateProfile,
  issuerCertificate: DecodedCertificate | undefined,
): ExtensionInput[] {
  const isCa = profile.kind === 'root-ca' || profile.kind === 'issuing-ca';
  const [subjectKeyId, authorityKeyId] = keyIdentifiers(request.subjectPublicKeyInfo, issuerCertificate);
  const optional = <T>(value: T | undefined, build: (present: T) => ExtensionInput): ExtensionInput[] =>
    value === undefined ? [] : [build(value)];
  return [
    ...(isCa ? [basicConstraintsExtension({ ca: true, pathLength: profile.pathLength })] : []),
    keyUsageExtension(profile.keyUsage),
    ...(profile.extendedKeyUsage.length > 0 ? [extendedKeyUsageExtension(profile.extendedKeyUsage)] : []),
    subjectKeyIdentifierExtension(subjectKeyId),
    authorityKeyIdentifierExtension(authorityKeyId),
    ...optional(request.personalData, (data) => subjectAltNameExtension(encodeJpkiPersonalData(data))),
    ...(profile.issuerAltName ? [issuerAltNameDirectoryExtension(encodeDistinguishedName(JPKI_ISSUER_ALT_NAME))] : []),
    ...optional(profile.policyOids[0], (oid) => certificatePoliciesExtension([oid])),
    ...optional(request.crlDistributionPointUri, (uri) => crlDistributionPointsExtension([uri])),
    ...authorityInfoAccess(request),
    ...(profile.ocspNoCheck ? [ocspNoCheckExtension()] : []),
  ];
}

function authorityInfoAccess({ ocspUri, caIssuersUri }: IssueCertificateRequest): ExtensionInput[] {
  if (!ocspUri && !caIssuersUri) return [];
  return [authorityInfoAccessExtension({ ocsp: ocspUri ? [ocspUri] : [], caIssuers: caIssuersUri ? [caIssuersUri] : [] })];
}

/** Builds the TBS and its linting certificate and lints it; nothing is signed with the CA key. */
export async function prepareCertificate(request: IssueCertificateRequest): Promise<PreparedCertificate> {
  const tbsCertificate = buildTbsCertificate(request);
  const lintingCertificate = await signTbs(tbsCertificate, await lintingSigner());
  const findings = lintCertificate(lintingCertificate, {
    profile: request.profile,
    issuerCertificate: request.issuer.certificate,
    cardCertificateNotAfter: request.cardCertificateNotAfter,
    signerPublicKeySpki: request.issuer.signer.publicKeySpki,
  });
  return { tbsCertificate, lintingCertificate, findings };
}

/** Signs a prepared TBS with the issuer's key once its lint found nothing; the signature is verified. */
export async function signPreparedCertificate(prepared: PreparedCertificate, issuer: CertificateIssuer): Promise<Buffer> {
  if (prepared.findings.length > 0) throw new LintRejectionError('certificate', prepared.findings);
  return signCertificate(prepared.tbsCertificate, issuer.signer);
}

/** Issues a certificate (DER). Throws LintRejectionError, with the findings, if any lint rule fires. */
export async function issueCertificate(request: IssueCertificateRequest): Promise<Buffer> {
  return signPreparedCertificate(await prepareCertificate(request), request.issuer);
}
