/**
 * Certificate issuance following Boulder's cycle: build the TBS, sign it with a throwaway key into a
 * "linting certificate", lint that, and only then let the CA's Signer sign the very same TBS bytes.
 */
import { explicit, integer, sequence, time } from '../asn1/der-writer';
import { parseSerialNumber, type SerialNumberInput } from '../encoding/serial-number';
import { encodeJpkiPersonalData, type JpkiPersonalData } from '../jpki/personal-data';
import { JPKI_ISSUER_ALT_NAME } from '../jpki/jpki-names';
import { jpkiProfile, type CertificateProfile, type JpkiProfileId } from '../jpki/profiles';
import type { Signer } from '../keys/signer';
import { lintingSigner } from './linting-signer';
import { verifyRsaSignature } from '../keys/signature-verification';
import { lintCertificate, type CertificateLintFinding } from '../lint/certificate-lint';
import { LintRejectionError } from '../lint/lint-finding';
import { encodeDistinguishedName, type DistinguishedName } from '../names/distinguished-name';
import { decodeCertificate, type DecodedCertificate } from '../x509/certificate';
import { sha256WithRsaAlgorithm, signTbs } from '../x509/signed-structure';
import { readCertificateExtensions } from '../x509/extension-view';
import {
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  encodeExtensions,
  extendedKeyUsageExtension,
  issuerAltNameDirectoryExtension,
  keyIdentifierFromSpki,
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
  /** Must be one of the profile's policies; defaults to its first. */
  readonly policyOid?: string;
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

export class IssuanceError extends Error {
  constructor(
    readonly reason: 'SIGNATURE_VERIFICATION_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'IssuanceError';
  }
}

export function buildTbsCertificate(request: IssueCertificateRequest): Buffer {
  const issuerCertificate = request.issuer.certificate ? decodeCertificate(request.issuer.certificate) : undefined;
  const subjectName = encodeDistinguishedName(request.subject);
  return sequence(
    explicit(0, integer(2)),
    integer(parseSerialNumber(request.serialNumber)),
    sha256WithRsaAlgorithm(),
    issuerCertificate ? issuerCertificate.tbs.subject.raw : subjectName,
    sequence(time(request.validity.notBefore), time(request.validity.notAfter)),
    subjectName,
    request.subjectPublicKeyInfo,
    explicit(3, encodeExtensions(certificateExtensions(request, jpkiProfile(request.profile), issuerCertificate))),
  );
}

function certificateExtensions(
  request: IssueCertificateRequest,
  profile: CertificateProfile,
  issuerCertificate: DecodedCertificate | undefined,
): ExtensionInput[] {
  const isCa = profile.kind === 'root-ca' || profile.kind === 'issuing-ca';
  const subjectKeyId = keyIdentifierFromSpki(request.subjectPublicKeyInfo);
  const policyOid = request.policyOid ?? profile.policyOids[0];
  const optional = <T>(value: T | undefined, build: (present: T) => ExtensionInput): ExtensionInput[] =>
    value === undefined ? [] : [build(value)];
  return [
    ...(isCa ? [basicConstraintsExtension({ ca: true, pathLength: profile.pathLength })] : []),
    keyUsageExtension(profile.keyUsage),
    ...(profile.extendedKeyUsage.length > 0 ? [extendedKeyUsageExtension(profile.extendedKeyUsage)] : []),
    subjectKeyIdentifierExtension(subjectKeyId),
    authorityKeyIdentifierExtension(issuerCertificate ? issuerKeyIdentifier(issuerCertificate) : subjectKeyId),
    ...optional(request.personalData, (data) => subjectAltNameExtension(encodeJpkiPersonalData(data))),
    ...(profile.issuerAltName ? [issuerAltNameDirectoryExtension(encodeDistinguishedName(JPKI_ISSUER_ALT_NAME))] : []),
    ...optional(policyOid, (oid) => certificatePoliciesExtension([oid])),
    ...optional(request.crlDistributionPointUri, (uri) => crlDistributionPointsExtension([uri])),
    ...authorityInfoAccess(request),
    ...(profile.ocspNoCheck ? [ocspNoCheckExtension()] : []),
  ];
}

function authorityInfoAccess({ ocspUri, caIssuersUri }: IssueCertificateRequest): ExtensionInput[] {
  if (!ocspUri && !caIssuersUri) return [];
  return [authorityInfoAccessExtension({ ocsp: ocspUri ? [ocspUri] : [], caIssuers: caIssuersUri ? [caIssuersUri] : [] })];
}

function issuerKeyIdentifier(issuer: DecodedCertificate): Buffer {
  return readCertificateExtensions(issuer.tbs.extensions).subjectKeyIdentifier ?? keyIdentifierFromSpki(issuer.tbs.subjectPublicKeyInfo);
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

/**
 * Signs a prepared TBS with the issuer's key and checks the signature before releasing it
 * (a faulty HSM or applet must not yield a certificate that fails verification later).
 */
export async function signPreparedCertificate(prepared: PreparedCertificate, issuer: CertificateIssuer): Promise<Buffer> {
  if (prepared.findings.length > 0) throw new LintRejectionError('certificate', prepared.findings);
  const certificate = await signTbs(prepared.tbsCertificate, issuer.signer);
  const decoded = decodeCertificate(certificate);
  const verifies = verifyRsaSignature({
    publicKeySpki: issuer.signer.publicKeySpki,
    signatureAlgorithmOid: decoded.signatureAlgorithm.oid,
    data: prepared.tbsCertificate,
    signature: decoded.signature,
  });
  if (!verifies) throw new IssuanceError('SIGNATURE_VERIFICATION_FAILED', 'issued certificate signature does not verify');
  return certificate;
}

/** Issues a certificate (DER). Throws LintRejectionError, with the findings, if any lint rule fires. */
export async function issueCertificate(request: IssueCertificateRequest): Promise<Buffer> {
  return signPreparedCertificate(await prepareCertificate(request), request.issuer);
}
