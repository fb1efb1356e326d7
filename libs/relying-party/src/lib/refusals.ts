import type { CmsFailureReason, RevocationReasonName, ValidationFailureReason } from '@jpki/pki';
import { RevocationReason } from '@jpki/pki';

/** What the certificate's status forbids (403) or leaves unknown (503), for a holder and a signer alike. */
const STATUS_REFUSALS = {
  /** Revoked (`details.revocationReason`: the RFC 5280 reason; never certificateHold). */
  CERTIFICATE_REVOKED: 403,
  /** Suspended (certificateHold, e.g. a loss report); releasable. */
  CERTIFICATE_ON_HOLD: 403,
  /** The responder does not know the certificate. */
  CERTIFICATE_STATUS_UNKNOWN: 403,
  /** The issuing CA itself is revoked on the root CRL. */
  ISSUING_CA_REVOKED: 403,
  /** OCSP unreachable or its answer unusable (bad signature, nonce, stale). */
  STATUS_UNAVAILABLE: 503,
  /** Offline check: the cached CRL is past its nextUpdate or older than the configured maximum age. */
  CRL_STALE: 503,
  /** Offline check: no CRL cached yet. */
  CRL_UNAVAILABLE: 503,
} as const;

/**
 * Why a relying party refuses a holder, with the HTTP status it answers. 401: the holder is not
 * authenticated (bad signature, untrusted or expired certificate); 403: authenticated, but the
 * certificate's status forbids it (cryptographically valid ≠ valid, docs/DESIGN.md §3.8); 503: the
 * status could not be established (fail closed: no OCSP answer, no or stale CRL).
 */
export const HOLDER_REFUSALS = {
  /** The signature over the challenge does not verify with the certificate's key. */
  SIGNATURE_INVALID: 401,
  /** The certificate is not DER X.509. */
  CERTIFICATE_MALFORMED: 400,
  /** No path to the JPKI root through the user-authentication CA (`details.validationReason` says why). */
  CHAIN_UNTRUSTED: 401,
  CERTIFICATE_EXPIRED: 401,
  CERTIFICATE_NOT_YET_VALID: 401,
  /** Key usage / policy not for authentication. */
  CERTIFICATE_NOT_FOR_AUTHENTICATION: 401,
  ...STATUS_REFUSALS,
} as const;

export type HolderRefusalReason = keyof typeof HOLDER_REFUSALS;

/** The SignedData itself: 400 when it is not one SignedData over the document, 422 when its signature does not hold. */
const CMS_REFUSALS = {
  CMS_MALFORMED: 400,
  CMS_NOT_SIGNED_DATA: 400,
  CMS_CONTENT_MISSING: 400,
  CMS_SIGNER_COUNT: 400,
  CMS_SIGNER_CERTIFICATE_MISSING: 400,
  CMS_SIGNED_ATTRIBUTE_MISSING: 400,
  CMS_DIGEST_ALGORITHM_UNSUPPORTED: 422,
  CMS_SIGNATURE_ALGORITHM_UNSUPPORTED: 422,
  /** An encapsulated content that is not the document. */
  CMS_CONTENT_MISMATCH: 422,
  CMS_CONTENT_TYPE_MISMATCH: 422,
  /** The document is not what was signed (tampered, or another document). */
  CMS_MESSAGE_DIGEST_MISMATCH: 422,
  CMS_SIGNATURE_INVALID: 422,
  CMS_SIGNER_MISMATCH: 422,
} as const satisfies Record<CmsFailureReason, number>;

/**
 * Why a relying party refuses a signed document (an e-application), with the HTTP status it answers: the CMS reasons
 * above, then the signer's certificate as for a holder — except that a certificate which is not a signing
 * certificate (another JPKI CA, key usage without nonRepudiation) is CERTIFICATE_NOT_FOR_SIGNING, and a signing
 * certificate without the 基本4情報 is PERSONAL_DATA_MISSING.
 */
export const SIGNED_DOCUMENT_REFUSALS = {
  ...CMS_REFUSALS,
  CERTIFICATE_MALFORMED: 400,
  CHAIN_UNTRUSTED: 422,
  CERTIFICATE_NOT_FOR_SIGNING: 422,
  CERTIFICATE_EXPIRED: 422,
  CERTIFICATE_NOT_YET_VALID: 422,
  PERSONAL_DATA_MISSING: 422,
  ...STATUS_REFUSALS,
} as const;

export type SignedDocumentRefusalReason = keyof typeof SIGNED_DOCUMENT_REFUSALS;

export type StatusSourceKind = 'ocsp' | 'crl';

/** A refusal with its reason and the facts behind it. */
export interface Refusal<Reason extends string> {
  readonly ok: false;
  readonly reason: Reason;
  readonly detail: string;
  /** Serial of the presented certificate, when it could be decoded (upper-case hex). */
  readonly serial?: string;
  /** CERTIFICATE_REVOKED / CERTIFICATE_ON_HOLD / ISSUING_CA_REVOKED: RFC 5280 reason name and code, and when. */
  readonly revocationReason?: RevocationReasonName;
  readonly revocationReasonCode?: number;
  readonly revocationTime?: Date;
  /** The path-validation reason behind CHAIN_UNTRUSTED and friends (e.g. WRONG_ISSUER_CA). */
  readonly validationReason?: ValidationFailureReason;
  /** Where the status came from, when a status was asked. */
  readonly statusSource?: StatusSourceKind;
}

export type HolderRefusal = Refusal<HolderRefusalReason>;
export type SignedDocumentRefusal = Refusal<SignedDocumentRefusalReason>;

export function httpStatusOf(reason: HolderRefusalReason): number {
  return HOLDER_REFUSALS[reason];
}

/** The JSON `details` of a refusal body (dates as ISO strings, absent fields left out). */
export function refusalDetails(refusal: Refusal<string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({
      serial: refusal.serial,
      revocationReason: refusal.revocationReason,
      revocationReasonCode: refusal.revocationReasonCode,
      revocationTime: refusal.revocationTime?.toISOString(),
      validationReason: refusal.validationReason,
      statusSource: refusal.statusSource,
    }).filter(([, v]) => v !== undefined),
  );
}

export function revocationReasonCode(name: RevocationReasonName | undefined): number | undefined {
  return name === undefined ? undefined : RevocationReason[name];
}

/**
 * A status that could not be established. Status sources throw it; the verifier turns it into a
 * refusal with this reason (STATUS_UNAVAILABLE, CRL_STALE, CRL_UNAVAILABLE).
 */
export class StatusUnavailableError extends Error {
  constructor(
    readonly reason: Extract<HolderRefusalReason, 'STATUS_UNAVAILABLE' | 'CRL_STALE' | 'CRL_UNAVAILABLE'>,
    message: string,
  ) {
    super(message);
    this.name = 'StatusUnavailableError';
  }
}
