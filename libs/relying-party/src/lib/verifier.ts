import { createHash } from 'node:crypto';
import { CertificateFormatError, decodeCertificate, formatSerialNumber, validateCertificate, type KeyUsageName, type ValidationResult } from '@jpki/pki';
import { describeHolderCertificate, verifyChallengeSignature, type HolderCertificate } from './challenge';
import { revocationReasonCode, StatusUnavailableError, type HolderRefusal, type HolderRefusalReason, type Refusal, type StatusSourceKind } from './refusals';
import type { StatusAnswer, StatusSource } from './status-sources';

/** The JPKI trust a relying party is configured with: the root, the user-authentication CA and, to verify signatures, the digital-signature CA (DER). */
export interface JpkiTrust {
  readonly root: Buffer;
  readonly userAuthentication: Buffer;
  readonly digitalSignature?: Buffer;
}

type NotForThisUse = 'CERTIFICATE_NOT_FOR_AUTHENTICATION' | 'CERTIFICATE_NOT_FOR_SIGNING';

/** What a relying party uses a certificate for: the CA that must have issued it and the key usage it must allow. */
export interface CertificateUse<N extends NotForThisUse> {
  readonly issuingCa: Buffer;
  /** The hierarchy's other issuing CAs: a certificate of theirs is then refused as not for this use, not as untrusted. */
  readonly otherIssuingCas: readonly Buffer[];
  readonly requiredKeyUsage: readonly KeyUsageName[];
  readonly notForThisUse: N;
}

/** The refusals of a certificate check for a use. */
export type CertificateRefusal<N extends NotForThisUse> = Refusal<Exclude<HolderRefusalReason, 'SIGNATURE_INVALID' | NotForThisUse> | N>;

/** Chain and status of a certificate: the root, where the certificate's and its CA's status come from, and when. */
export interface ChainCheck {
  readonly root: Buffer;
  /** Status of the certificate: OCSP online, the cached CRL offline, or both. */
  readonly holderStatus: StatusSource;
  /** Status of the issuing CA itself (the root CRL). */
  readonly caStatus: StatusSource;
  readonly at: Date;
}

export interface HolderAccepted {
  readonly ok: true;
  readonly holder: HolderCertificate;
  readonly status: {
    readonly source: StatusSourceKind;
    readonly checkedAt: Date;
    readonly ocspProducedAt?: Date;
    readonly crlNumber?: bigint;
    readonly note?: string;
  };
}

export type HolderVerification = HolderAccepted | HolderRefusal;

export interface StatusCheck {
  readonly trust: JpkiTrust;
  /** Status of the holder's certificate: OCSP online, the cached CRL offline. */
  readonly holderStatus: StatusSource;
  /** Status of the user-authentication CA itself (the root CRL). */
  readonly caStatus: StatusSource;
  readonly at: Date;
}

export interface VerifyHolderRequest extends StatusCheck {
  readonly challenge: Buffer;
  readonly signature: Buffer;
  readonly certificate: Buffer;
}

/**
 * Authentication of a holder at a relying party (docs/DESIGN.md §4.3): the signature over the relying party's
 * challenge, then the path to the JPKI root through the user-authentication CA (validity, key usage
 * digitalSignature), then the status of every certificate below the root. Any doubt refuses.
 */
export async function verifyHolder(request: VerifyHolderRequest): Promise<HolderVerification> {
  let holder: HolderCertificate;
  try {
    holder = describeHolderCertificate(request.certificate);
  } catch (error) {
    return { ok: false, reason: 'CERTIFICATE_MALFORMED', detail: (error as Error).message };
  }
  const spki = decodeCertificate(request.certificate).tbs.subjectPublicKeyInfo;
  const signature = verifyChallengeSignature(spki, request.challenge, request.signature);
  if (!signature.ok) return { ok: false, reason: 'SIGNATURE_INVALID', detail: signature.detail, serial: holder.serial };
  return checkHolderCertificate(request.certificate, request, holder);
}

/** Chain and status only (a session re-checking its certificate; the signature was checked at login). */
export function checkHolderCertificate(certificate: Buffer, check: StatusCheck, described?: HolderCertificate): Promise<HolderVerification> {
  const use: CertificateUse<'CERTIFICATE_NOT_FOR_AUTHENTICATION'> = {
    issuingCa: check.trust.userAuthentication,
    otherIssuingCas: [],
    requiredKeyUsage: ['digitalSignature'],
    notForThisUse: 'CERTIFICATE_NOT_FOR_AUTHENTICATION',
  };
  return checkCertificate(certificate, { ...check, root: check.trust.root }, use, described);
}

/**
 * The path to the JPKI root through the CA of the certificate's use (validity, key usage), then the status of every
 * certificate below the root. Any doubt refuses.
 */
export async function checkCertificate<N extends NotForThisUse>(
  certificate: Buffer,
  check: ChainCheck,
  use: CertificateUse<N>,
  described?: HolderCertificate,
): Promise<HolderAccepted | CertificateRefusal<N>> {
  let holder: HolderCertificate;
  try {
    holder = described ?? describeHolderCertificate(certificate);
  } catch (error) {
    return { ok: false, reason: 'CERTIFICATE_MALFORMED', detail: (error as Error).message };
  }
  const { root, at } = check;
  let leafAnswer: StatusAnswer | undefined;
  let statusError: unknown;
  const result = await validateCertificate({
    certificate,
    intermediates: [use.issuingCa, ...use.otherIssuingCas],
    trustAnchors: [root],
    expectedIssuers: [use.issuingCa],
    requiredKeyUsage: use.requiredKeyUsage,
    at,
    revocation: async (cert, issuer) => {
      try {
        if (issuer.equals(root)) return (await check.caStatus.status(cert, issuer, at)).status;
        leafAnswer = await check.holderStatus.status(cert, issuer, at);
        return leafAnswer.status;
      } catch (error) {
        statusError = error;
        throw error;
      }
    },
  });
  if (!result.ok) return refusal(result, use.notForThisUse, holder.serial, leafAnswer?.source, statusError);
  if (!leafAnswer) return { ok: false, reason: 'STATUS_UNAVAILABLE', detail: 'no status was obtained', serial: holder.serial };
  return {
    ok: true,
    holder,
    status: {
      source: leafAnswer.source,
      checkedAt: at,
      ...(leafAnswer.producedAt ? { ocspProducedAt: leafAnswer.producedAt } : {}),
      ...(leafAnswer.crlNumber !== undefined ? { crlNumber: leafAnswer.crlNumber } : {}),
      ...(leafAnswer.note ? { note: leafAnswer.note } : {}),
    },
  };
}

function refusal<N extends NotForThisUse>(
  result: Extract<ValidationResult, { ok: false }>,
  notForThisUse: N,
  serial: string,
  source: StatusSourceKind | undefined,
  statusError: unknown,
): CertificateRefusal<N> {
  const base = { ok: false as const, detail: result.detail, serial, validationReason: result.reason, ...(source ? { statusSource: source } : {}) };
  const aboutLeaf = !result.failingCertificate;
  const revocation = {
    ...(result.revocationReason ? { revocationReason: result.revocationReason, revocationReasonCode: revocationReasonCode(result.revocationReason) } : {}),
    ...(result.revocationTime ? { revocationTime: result.revocationTime } : {}),
  };
  const reason = ((): CertificateRefusal<N>['reason'] => {
    switch (result.reason) {
      case 'CERTIFICATE_MALFORMED':
        return aboutLeaf ? 'CERTIFICATE_MALFORMED' : 'CHAIN_UNTRUSTED';
      case 'EXPIRED':
        return aboutLeaf ? 'CERTIFICATE_EXPIRED' : 'CHAIN_UNTRUSTED';
      case 'NOT_YET_VALID':
        return aboutLeaf ? 'CERTIFICATE_NOT_YET_VALID' : 'CHAIN_UNTRUSTED';
      case 'POLICY_MISMATCH':
      case 'KEY_USAGE_INVALID':
      case 'WRONG_ISSUER_CA':
        return notForThisUse;
      case 'REVOKED':
        return aboutLeaf ? 'CERTIFICATE_REVOKED' : 'ISSUING_CA_REVOKED';
      case 'ON_HOLD':
        return aboutLeaf ? 'CERTIFICATE_ON_HOLD' : 'ISSUING_CA_REVOKED';
      case 'REVOCATION_UNKNOWN':
        return aboutLeaf ? 'CERTIFICATE_STATUS_UNKNOWN' : 'STATUS_UNAVAILABLE';
      case 'REVOCATION_CHECK_FAILED':
        return statusError instanceof StatusUnavailableError ? statusError.reason : 'STATUS_UNAVAILABLE';
      default:
        // CHAIN_UNTRUSTED, SIGNATURE_INVALID (of a certificate in the path), NOT_A_CA, PATH_LENGTH_EXCEEDED,
        // UNKNOWN_CRITICAL_EXTENSION: no trustworthy path to the JPKI CA of this use.
        return 'CHAIN_UNTRUSTED';
    }
  })();
  const detail = reason === 'CHAIN_UNTRUSTED' ? `${result.reason}: ${result.detail}` : base.detail;
  return { ...base, reason, detail, ...(reason === 'CERTIFICATE_REVOKED' || reason === 'CERTIFICATE_ON_HOLD' || reason === 'ISSUING_CA_REVOKED' ? revocation : {}) };
}

/**
 * Checks configured trust: the issuing CAs must chain to the root at `at`, and the root
 * must match the pinned SHA-256 fingerprint when one is configured (hex, colons optional).
 */
export async function checkTrust(trust: JpkiTrust, at: Date, rootSha256Pin?: string): Promise<void> {
  try {
    decodeCertificate(trust.root);
    decodeCertificate(trust.userAuthentication);
  } catch (error) {
    if (error instanceof CertificateFormatError) throw new Error(`trust anchors: ${error.message}`);
    throw error;
  }
  if (rootSha256Pin) {
    const actual = createHash('sha256').update(trust.root).digest('hex');
    if (actual !== rootSha256Pin.replace(/:/g, '').toLowerCase()) throw new Error(`the JPKI root does not match the pinned SHA-256 ${rootSha256Pin}`);
  }
  const issuingCas = { 'user-authentication': trust.userAuthentication, 'digital-signature': trust.digitalSignature };
  for (const [name, ca] of Object.entries(issuingCas)) {
    if (!ca) continue;
    const chain = await validateCertificate({ certificate: ca, trustAnchors: [trust.root], at });
    if (!chain.ok) throw new Error(`the ${name} CA does not chain to the root: ${chain.reason}: ${chain.detail}`);
  }
}

export function serialOf(certificate: Buffer): string {
  return formatSerialNumber(decodeCertificate(certificate).tbs.serialNumber);
}
