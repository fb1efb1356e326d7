import { createHash } from 'node:crypto';
import { CertificateFormatError, decodeCertificate, formatSerialNumber, validateCertificate, type ValidationResult } from '@jpki/pki';
import { describeHolderCertificate, verifyChallengeSignature, type HolderCertificate } from './challenge';
import { revocationReasonCode, StatusUnavailableError, type HolderRefusal, type HolderRefusalReason, type StatusSourceKind } from './refusals';
import type { StatusAnswer, StatusSource } from './status-sources';

/** The JPKI trust a relying party is configured with: the root and the user-authentication CA (DER). */
export interface JpkiTrust {
  readonly root: Buffer;
  readonly userAuthentication: Buffer;
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
export async function checkHolderCertificate(certificate: Buffer, check: StatusCheck, described?: HolderCertificate): Promise<HolderVerification> {
  let holder: HolderCertificate;
  try {
    holder = described ?? describeHolderCertificate(certificate);
  } catch (error) {
    return { ok: false, reason: 'CERTIFICATE_MALFORMED', detail: (error as Error).message };
  }
  const { trust, at } = check;
  let leafAnswer: StatusAnswer | undefined;
  let statusError: unknown;
  const result = await validateCertificate({
    certificate,
    intermediates: [trust.userAuthentication],
    trustAnchors: [trust.root],
    expectedIssuers: [trust.userAuthentication],
    requiredKeyUsage: ['digitalSignature'],
    at,
    revocation: async (cert, issuer) => {
      try {
        if (issuer.equals(trust.root)) return (await check.caStatus.status(cert, issuer, at)).status;
        leafAnswer = await check.holderStatus.status(cert, issuer, at);
        return leafAnswer.status;
      } catch (error) {
        statusError = error;
        throw error;
      }
    },
  });
  if (!result.ok) return refusal(result, holder.serial, leafAnswer?.source, statusError);
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

function refusal(result: Extract<ValidationResult, { ok: false }>, serial: string, source: StatusSourceKind | undefined, statusError: unknown): HolderRefusal {
  const base = { ok: false as const, detail: result.detail, serial, validationReason: result.reason, ...(source ? { statusSource: source } : {}) };
  const aboutLeaf = !result.failingCertificate;
  const revocation = {
    ...(result.revocationReason ? { revocationReason: result.revocationReason, revocationReasonCode: revocationReasonCode(result.revocationReason) } : {}),
    ...(result.revocationTime ? { revocationTime: result.revocationTime } : {}),
  };
  const reason = ((): HolderRefusalReason => {
    switch (result.reason) {
      case 'CERTIFICATE_MALFORMED':
        return aboutLeaf ? 'CERTIFICATE_MALFORMED' : 'CHAIN_UNTRUSTED';
      case 'EXPIRED':
        return aboutLeaf ? 'CERTIFICATE_EXPIRED' : 'CHAIN_UNTRUSTED';
      case 'NOT_YET_VALID':
        return aboutLeaf ? 'CERTIFICATE_NOT_YET_VALID' : 'CHAIN_UNTRUSTED';
      case 'POLICY_MISMATCH':
      case 'KEY_USAGE_INVALID':
        return 'CERTIFICATE_NOT_FOR_AUTHENTICATION';
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
        // UNKNOWN_CRITICAL_EXTENSION, WRONG_ISSUER_CA: no trustworthy path to the JPKI user-authentication CA.
        return 'CHAIN_UNTRUSTED';
    }
  })();
  const detail = reason === 'CHAIN_UNTRUSTED' ? `${result.reason}: ${result.detail}` : base.detail;
  return { ...base, reason, detail, ...(reason === 'CERTIFICATE_REVOKED' || reason === 'CERTIFICATE_ON_HOLD' || reason === 'ISSUING_CA_REVOKED' ? revocation : {}) };
}

/**
 * Checks configured trust: the user-authentication CA must chain to the root at `at`, and the root
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
  const chain = await validateCertificate({ certificate: trust.userAuthentication, trustAnchors: [trust.root], at });
  if (!chain.ok) throw new Error(`the user-authentication CA does not chain to the root: ${chain.reason}: ${chain.detail}`);
}

export function serialOf(certificate: Buffer): string {
  return formatSerialNumber(decodeCertificate(certificate).tbs.serialNumber);
}
