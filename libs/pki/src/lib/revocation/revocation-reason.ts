/** RFC 5280 §5.3.1 CRLReason codes (7 is unused) and the status vocabulary shared by CRL, OCSP and path validation. */
export const RevocationReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReasonName = keyof typeof RevocationReason;

const NAMES_BY_CODE: ReadonlyMap<number, RevocationReasonName> = new Map(
  Object.entries(RevocationReason).map(([name, code]) => [code, name as RevocationReasonName]),
);

export function revocationReasonName(code: number): RevocationReasonName | undefined {
  return NAMES_BY_CODE.get(code);
}

export type CertificateStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revocationTime: Date; readonly reason: RevocationReasonName }
  | { readonly status: 'unknown' };
