import { Injectable } from '@nestjs/common';
import { authenticationRefusals, Clock, type RefusedCall, type RefusedCallAudit } from '@jpki/service-kit';
import { CaTransactions } from '../ra/ca-transaction';

/**
 * The operator API's refusals by the authentication itself (401, 403: no token, a bad one, a missing role, another
 * carrier's scope) go into the CA's hash-chained audit log beside the acts they were refused, as at lifecycle and the
 * MNO-TSMs: who (the verified principal, or `anonymous` with the subject the token claims), what, and why.
 */
@Injectable()
export class CaRefusedCalls implements RefusedCallAudit {
  constructor(
    private readonly transactions: CaTransactions,
    private readonly clock: Clock,
  ) {}

  audits(status: number): boolean {
    return authenticationRefusals(status);
  }

  record({ request: req, action, status, reason, claimedSubject }: RefusedCall): Promise<void> {
    const actor = req.operator ? `operator:${req.operator.sub}` : 'anonymous';
    const subject = Object.values(req.params ?? {}).join('/') || undefined;
    const caller = req.operator ? { roles: req.operator.roles, carrier: req.operator.carrier ?? null } : { claimedSubject };
    return this.transactions.run(actor, async (tx) =>
      tx.audit({ occurredAt: this.clock.now(), action: 'operator-call.refused', subject, details: { action, status, reason, method: req.method, path: req.path, ...caller } }),
    );
  }
}
