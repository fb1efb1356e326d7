import type { z } from 'zod/v4';
import type { CertificateRow } from '../storage/types';
import type { certificateSummarySchema } from './schemas';

export function certificateSummary(row: CertificateRow): z.infer<typeof certificateSummarySchema> {
  return {
    serial: row.serial,
    kind: row.kind,
    issuerCa: row.issuerCa,
    status: row.status,
    revocationReason: row.revocationReason,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    notBefore: row.notBefore.toISOString(),
    notAfter: row.notAfter.toISOString(),
    issuedAt: row.issuedAt.toISOString(),
    enrollmentId: row.enrollmentId,
    device: row.device,
    certificate: row.der.toString('base64'),
  };
}
