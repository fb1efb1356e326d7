import { Injectable } from '@nestjs/common';
import { CertificateStatusChanged, type RevocationReason } from '@jpki/contracts';
import { Clock } from '@jpki/service-kit';
import { CaStore } from '../storage/ca-store';
import type { CertificateRow, CertificateStatusValue } from '../storage/types';
import type { CaTransaction } from './ca-transaction';

export interface StatusChangeOptions {
  readonly requestId?: string;
  /** Why this change happened when it is a consequence of another (supersession, card cascade). */
  readonly cause?: Record<string, unknown>;
}

/**
 * The only way the RA changes a certificate's status: conditional update + status history (delta CRLs),
 * `ca.certificate.status-changed` in the same transaction, and an audit entry.
 */
@Injectable()
export class StatusChanges {
  constructor(
    private readonly store: CaStore,
    private readonly clock: Clock,
  ) {}

  async apply(
    tx: CaTransaction,
    certificate: CertificateRow,
    to: CertificateStatusValue,
    reason: RevocationReason | null,
    options: StatusChangeOptions = {},
  ): Promise<CertificateRow | undefined> {
    const at = this.clock.now();
    const changed = await this.store.changeStatus(tx.manager, {
      serial: certificate.serial,
      from: certificate.status,
      to,
      reason: to === 'good' ? null : reason,
      at,
      requestId: options.requestId,
      actor: tx.actor,
    });
    if (!changed) return undefined;
    await tx.publish(CertificateStatusChanged, {
      serial: changed.serial,
      personId: changed.personId,
      kind: changed.kind,
      status: to,
      // A released hold is announced with removeFromCRL, as a delta CRL lists it.
      reason: to === 'good' ? 'removeFromCRL' : (reason ?? undefined),
      changedAt: at.toISOString(),
      requestId: options.requestId,
      device: changed.device ?? undefined,
      enrollmentId: changed.enrollmentId ?? undefined,
    });
    tx.audit({
      occurredAt: at,
      action: 'certificate.status-changed',
      subject: changed.serial,
      details: {
        kind: changed.kind,
        personId: changed.personId,
        issuerCa: changed.issuerCa,
        from: certificate.status,
        to,
        reason,
        requestId: options.requestId ?? null,
        ...(options.cause ? { cause: options.cause } : {}),
      },
    });
    return changed;
  }
}
