import type { RevocationReason } from '@jpki/contracts';
import type { CertificateStatus } from '@jpki/pki';
import type { CertificateStatusValue } from './types';

/** The RFC 5280 reason a stored status shows on OCSP and CRLs: a hold is `certificateHold`, whatever reason is kept. */
export function publishedReason(status: CertificateStatusValue, reason: RevocationReason | null): RevocationReason | undefined {
  return status === 'on-hold' ? 'certificateHold' : (reason ?? undefined);
}

/** A stored certificate's status as OCSP and path validation state it. */
export function certificateStatus(row: { status: CertificateStatusValue; revocationReason: RevocationReason | null; revokedAt: Date | null }): CertificateStatus {
  if (row.status === 'good') return { status: 'good' };
  return {
    status: 'revoked',
    revocationTime: row.revokedAt ?? new Date(0),
    reason: publishedReason(row.status, row.revocationReason) ?? 'unspecified',
  };
}
