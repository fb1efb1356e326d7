import type { RevocationReasonName, ValidationFailureReason } from '@jpki/pki';
import { RevocationReason } from '@jpki/pki';

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
  /** Revoked (`details.revocationReason`: the RFC 5280 reason; never certificateHold). */
  CERTIFICATE_REVOKED: 403,
  /** Suspended (certificateHold, e.g. a loss report); releasable. */
  CERTIFICATE_ON_HOLD: 403,
  /** The responder does not know the certificate. */
  CERTIFICATE_STATUS_UNKNOWN: 403,
  /** The user-authentication CA itself is revoked on the root CRL. */
  ISSUING_CA_REVOKED: 403,
  /** OCSP unreachable or its answer unusable (bad signature, nonce, stale). */
  STATUS_UNAVAILABLE: 503,
  /** Offline check: the cached CRL is past its nextUpdate or older than the configured maximum age. */
  CRL_STALE: 503,
  /** Offline check: no CRL cached yet. */
  CRL_UNAVAILABLE: 503,
} as const;

export type HolderRefusalReason = keyof typeof HOLDER_REFUSALS;

export type StatusSourceKind = 'ocsp' | 'crl';

export interface HolderRefusal {
  readonly ok: false;
  readonly reason: HolderRefusalReason;
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

export function httpStatusOf(reason: HolderRefusalReason): number {
  return HOLDER_REFUSALS[reason];
}

/** The JSON `details` of a refusal body (dates as ISO strings, absent fields left out). */
export function refusalDetails(refusal: HolderRefusal): Record<string, unknown> {
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
