import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { authenticationRefusals, Clock, DomainHttpException, type OperatorPrincipal, type RefusedCall, type RefusedCallAudit } from '@jpki/service-kit';

type Actor = Pick<OperatorPrincipal, 'sub' | 'roles'>;

/**
 * The TSM's operator audit log (`operator_audit`): every operator call, who, what, when and its outcome — writes in
 * the transaction of the action they record, refusals (`refused:<REASON>`) on their own, reads too.
 */
@Injectable()
export class OperatorAudit {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Runs an operator action in a transaction together with its audit record; a refusal is audited on its own. */
  async audited<T>(
    op: OperatorPrincipal,
    action: string,
    target: string | null,
    fn: (m: EntityManager) => Promise<{ result: T; target?: string; details?: Record<string, unknown> }>,
  ): Promise<T> {
    try {
      return await this.ds.transaction(async (m) => {
        const { result, target: resolved, details } = await fn(m);
        await this.record(m, op, action, resolved ?? target, 'ok', details);
        return result;
      });
    } catch (err) {
      const reason = err instanceof DomainHttpException ? err.reason : 'INTERNAL_ERROR';
      await this.record(this.ds.manager, op, action, target, `refused:${reason}`, { message: (err as Error).message }).catch(() => undefined);
      throw err;
    }
  }

  /** Reads are operator calls too: audited (who looked at what, when). */
  async recordRead(op: OperatorPrincipal, action: string, target: string | null, details?: Record<string, unknown>): Promise<void> {
    await this.record(this.ds.manager, op, action, target, 'ok', details);
  }

  /** A call the operator authentication refused before it reached the service (who, or `anonymous`; which route; why). */
  async recordRefusedCall(op: Actor, action: string, target: string | null, reason: string, details: Record<string, unknown>): Promise<void> {
    await this.record(this.ds.manager, op, action, target, `refused:${reason}`, details);
  }

  /** Newest first. */
  async list(q: { actor?: string; target?: string; limit: number }): Promise<Record<string, unknown>[]> {
    const rows = await this.ds.query(
      `SELECT * FROM operator_audit WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR target = $2) ORDER BY id DESC LIMIT $3`,
      [q.actor ?? null, q.target ?? null, q.limit],
    );
    return rows.map((r: Record<string, unknown>) => ({ ...r, id: Number(r['id']), at: (r['at'] as Date).toISOString() }));
  }

  private async record(m: EntityManager, op: Actor, action: string, target: string | null, outcome: string, details?: Record<string, unknown>): Promise<void> {
    await m.query(`INSERT INTO operator_audit (at, actor, roles, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      this.clock.now(),
      op.sub,
      op.roles,
      action,
      target,
      outcome,
      details ?? null,
    ]);
  }
}

/** The calls the operator authentication refuses (401, 403): the service's own refusals are audited with their action. */
@Injectable()
export class OperatorRefusedCalls implements RefusedCallAudit {
  constructor(private readonly audit: OperatorAudit) {}

  audits(status: number): boolean {
    return authenticationRefusals(status);
  }

  record({ request: req, action, reason, claimedSubject }: RefusedCall): Promise<void> {
    const actor = req.operator ?? { sub: 'anonymous', roles: [] };
    const details = { method: req.method, path: req.path, ...(req.operator ? { carrier: req.operator.carrier ?? null } : { claimedSubject }) };
    return this.audit.recordRefusedCall(actor, action, Object.values(req.params ?? {}).join('/') || null, reason, details);
  }
}
