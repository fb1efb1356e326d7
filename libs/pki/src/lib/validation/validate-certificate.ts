/**
 * RFC 5280 §6-style path validation for relying parties and identity proofing: build a path to a
 * trust anchor, check signatures, validity, CA constraints, the expected issuing CA, policy, key
 * usage and revocation. Policy mapping and name constraints are not processed (any critical
 * extension outside the understood set fails the path).
 */
import { Oid } from '../asn1/oids';
import { verifySignature } from '../keys/signature-verification';
import { distinguishedNamesMatch } from '../names/distinguished-name';
import type { CertificateStatus, RevocationReasonName } from '../revocation/revocation-reason';
import { CertificateFormatError, decodeCertificate, type DecodedCertificate } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';
import type { KeyUsageName } from '../x509/extensions';

export type ValidationFailureReason =
  | 'CERTIFICATE_MALFORMED'
  | 'CHAIN_UNTRUSTED'
  | 'SIGNATURE_INVALID'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'NOT_A_CA'
  | 'PATH_LENGTH_EXCEEDED'
  | 'UNKNOWN_CRITICAL_EXTENSION'
  | 'WRONG_ISSUER_CA'
  | 'POLICY_MISMATCH'
  | 'KEY_USAGE_INVALID'
  | 'REVOKED'
  | 'ON_HOLD'
  | 'REVOCATION_UNKNOWN'
  | 'REVOCATION_CHECK_FAILED';

/** Status of `certificate` as issued by `issuer` (e.g. via OCSP or a cached CRL). */
export type RevocationChecker = (certificate: Buffer, issuer: Buffer) => Promise<CertificateStatus>;

export interface ValidateCertificateOptions {
  readonly certificate: Buffer;
  readonly intermediates?: readonly Buffer[];
  readonly trustAnchors: readonly Buffer[];
  /** Validation time; default now. */
  readonly at?: Date;
  /** Called for every certificate below the trust anchor, leaf first. */
  readonly revocation?: RevocationChecker;
  /** Default 'fail': an `unknown` status is a failure (JPKI practice: cryptographically valid ≠ valid). */
  readonly revocationUnknown?: 'fail' | 'allow';
  /** The certificate must be issued directly by one of these CAs (e.g. the signing CA generations). */
  readonly expectedIssuers?: readonly Buffer[];
  /** The leaf must assert at least one of these policies. */
  readonly requiredPolicies?: readonly string[];
  readonly requiredKeyUsage?: readonly KeyUsageName[];
}

export type ValidationResult =
  | { readonly ok: true; readonly chain: readonly Buffer[] }
  | {
      readonly ok: false;
      readonly reason: ValidationFailureReason;
      readonly detail: string;
      /** The certificate the failure is about, when it is not the leaf. */
      readonly failingCertificate?: Buffer;
      readonly revocationReason?: RevocationReasonName;
      readonly revocationTime?: Date;
    };

type Failure = Extract<ValidationResult, { ok: false }>;
type PathOrFailure = { readonly path: DecodedCertificate[] } | { readonly failure: Failure };

const MAX_PATH_LENGTH = 8;
const UNDERSTOOD_CRITICAL = new Set<string>([
  Oid.basicConstraints,
  Oid.keyUsage,
  Oid.extKeyUsage,
  Oid.subjectAltName,
  Oid.certificatePolicies,
]);

export async function validateCertificate(options: ValidateCertificateOptions): Promise<ValidationResult> {
  const decoded = decodeAll(options);
  if ('failure' in decoded) return decoded.failure;
  const { leaf, intermediates, anchors } = decoded;
  const built = buildPath(leaf, intermediates, anchors, []);
  if ('failure' in built) return built.failure;
  const at = options.at ?? new Date();
  const structural = checkValidity(built.path, at) ?? checkCaConstraints(built.path) ?? checkLeafRequirements(built.path, options);
  if (structural) return structural;
  const revoked = await checkRevocation(built.path, options);
  return revoked ?? { ok: true, chain: built.path.map((certificate) => certificate.raw) };
}

function failure(reason: ValidationFailureReason, detail: string, certificate?: DecodedCertificate, extra: Partial<Failure> = {}): Failure {
  return { ok: false, reason, detail, ...(certificate ? { failingCertificate: certificate.raw } : {}), ...extra };
}

function decodeAll(options: ValidateCertificateOptions):
  | { readonly leaf: DecodedCertificate; readonly intermediates: DecodedCertificate[]; readonly anchors: DecodedCertificate[] }
  | { readonly failure: Failure } {
  try {
    return {
      leaf: decodeCertificate(options.certificate),
      intermediates: (options.intermediates ?? []).map((der) => decodeCertificate(der)),
      anchors: options.trustAnchors.map((der) => decodeCertificate(der)),
    };
  } catch (error) {
    if (error instanceof CertificateFormatError) return { failure: failure('CERTIFICATE_MALFORMED', error.message) };
    throw error;
  }
}

/** Depth-first search towards a trust anchor; prefers reporting a bad signature over a missing issuer. */
function buildPath(
  certificate: DecodedCertificate,
  intermediates: readonly DecodedCertificate[],
  anchors: readonly DecodedCertificate[],
  below: readonly DecodedCertificate[],
): PathOrFailure {
  if (anchors.some((anchor) => anchor.raw.equals(certificate.raw))) return { path: [certificate] };
  if (below.length >= MAX_PATH_LENGTH) return { failure: failure('CHAIN_UNTRUSTED', 'path too long') };
  let best: Failure = failure('CHAIN_UNTRUSTED', `no trusted issuer found for ${certificate.tbs.issuer.attributes.map((a) => a.value).join('/')}`);
  for (const candidate of issuerCandidates(certificate, [...anchors, ...intermediates], below)) {
    if (!signedBy(certificate, candidate)) {
      best = failure('SIGNATURE_INVALID', 'signature does not verify with the issuer key', below.length > 0 ? certificate : undefined);
      continue;
    }
    const rest = buildPath(candidate, intermediates, anchors, [...below, certificate]);
    if ('path' in rest) return { path: [certificate, ...rest.path] };
    if (rest.failure.reason === 'SIGNATURE_INVALID') best = rest.failure;
  }
  return { failure: best };
}

function issuerCandidates(certificate: DecodedCertificate, pool: readonly DecodedCertificate[], below: readonly DecodedCertificate[]): DecodedCertificate[] {
  const authorityKeyId = readCertificateExtensions(certificate.tbs.extensions).authorityKeyIdentifier?.keyIdentifier;
  return pool.filter((candidate) => {
    if (candidate.raw.equals(certificate.raw) || below.some((seen) => seen.raw.equals(candidate.raw))) return false;
    if (!distinguishedNamesMatch(certificate.tbs.issuer, candidate.tbs.subject)) return false;
    const subjectKeyId = readCertificateExtensions(candidate.tbs.extensions).subjectKeyIdentifier;
    return !authorityKeyId || !subjectKeyId || authorityKeyId.equals(subjectKeyId);
  });
}

function signedBy(certificate: DecodedCertificate, issuer: DecodedCertificate): boolean {
  return (
    certificate.signatureAlgorithm.raw.equals(certificate.tbs.signatureAlgorithm.raw) &&
    // RSASSA-PKCS1-v1_5 (every JPKI CA) or ECDSA (e.g. the SIMULATED device-attestation CA).
    verifySignature({
      publicKeySpki: issuer.tbs.subjectPublicKeyInfo,
      signatureAlgorithmOid: certificate.signatureAlgorithm.oid,
      data: certificate.tbs.raw,
      signature: certificate.signature,
    })
  );
}

function checkValidity(path: readonly DecodedCertificate[], at: Date): Failure | undefined {
  for (const [index, certificate] of path.entries()) {
    const which = index === 0 ? undefined : certificate;
    if (at > certificate.tbs.notAfter) return failure('EXPIRED', `expired at ${certificate.tbs.notAfter.toISOString()}`, which);
    if (at < certificate.tbs.notBefore) return failure('NOT_YET_VALID', `valid from ${certificate.tbs.notBefore.toISOString()}`, which);
  }
  return undefined;
}

function checkCaConstraints(path: readonly DecodedCertificate[]): Failure | undefined {
  for (const [index, certificate] of path.entries()) {
    const extensions = readCertificateExtensions(certificate.tbs.extensions);
    const isAnchor = index === path.length - 1;
    const unknown = certificate.tbs.extensions.find((extension) => extension.critical && !UNDERSTOOD_CRITICAL.has(extension.oid));
    if (unknown && !isAnchor) return failure('UNKNOWN_CRITICAL_EXTENSION', `critical extension ${unknown.oid}`, index ? certificate : undefined);
    if (index === 0) continue;
    if (!extensions.basicConstraints?.ca) return failure('NOT_A_CA', 'issuer is not a CA (basicConstraints)', certificate);
    if (extensions.keyUsage && !extensions.keyUsage.includes('keyCertSign')) return failure('NOT_A_CA', 'issuer key usage lacks keyCertSign', certificate);
    const intermediatesBelow = index - 1;
    const pathLength = extensions.basicConstraints.pathLength;
    if (pathLength !== undefined && intermediatesBelow > pathLength) {
      return failure('PATH_LENGTH_EXCEEDED', `pathLenConstraint ${pathLength} exceeded`, certificate);
    }
  }
  return undefined;
}

function checkLeafRequirements(path: readonly DecodedCertificate[], options: ValidateCertificateOptions): Failure | undefined {
  const [leaf, issuer] = path;
  const extensions = readCertificateExtensions(leaf.tbs.extensions);
  if (options.expectedIssuers && !options.expectedIssuers.some((expected) => issuer?.raw.equals(expected))) {
    return failure('WRONG_ISSUER_CA', 'certificate is not issued by an expected CA');
  }
  const policies = extensions.certificatePolicies ?? [];
  if (options.requiredPolicies && !options.requiredPolicies.some((policy) => policies.includes(policy))) {
    return failure('POLICY_MISMATCH', `certificate policies [${policies.join(', ')}] do not include a required one`);
  }
  const missing = (options.requiredKeyUsage ?? []).filter((usage) => !extensions.keyUsage?.includes(usage));
  return missing.length > 0 ? failure('KEY_USAGE_INVALID', `key usage lacks ${missing.join(', ')}`) : undefined;
}

async function checkRevocation(path: readonly DecodedCertificate[], options: ValidateCertificateOptions): Promise<Failure | undefined> {
  if (!options.revocation) return undefined;
  for (let index = 0; index < path.length - 1; index++) {
    const which = index === 0 ? undefined : path[index];
    let status: CertificateStatus;
    try {
      status = await options.revocation(path[index].raw, path[index + 1].raw);
    } catch (error) {
      return failure('REVOCATION_CHECK_FAILED', (error as Error).message, which);
    }
    const problem = revocationFailure(status, options, which);
    if (problem) return problem;
  }
  return undefined;
}

function revocationFailure(status: CertificateStatus, options: ValidateCertificateOptions, which: DecodedCertificate | undefined): Failure | undefined {
  if (status.status === 'good') return undefined;
  if (status.status === 'unknown') {
    return options.revocationUnknown === 'allow' ? undefined : failure('REVOCATION_UNKNOWN', 'revocation status unknown', which);
  }
  const extra = { revocationReason: status.reason, revocationTime: status.revocationTime };
  if (status.reason === 'certificateHold') return failure('ON_HOLD', 'certificate is on hold (suspended)', which, extra);
  return failure('REVOKED', `certificate revoked (${status.reason})`, which, extra);
}
