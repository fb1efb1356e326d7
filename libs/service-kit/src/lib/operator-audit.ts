import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { Clock } from './clock';
import { DomainHttpException } from './http-errors';
import { printable, printableJson } from './http-input';
import type { OperatorPrincipal } from './operator-auth';
import { authenticationRefusals, type AuditedRequest, type RefusedCall, type RefusedCallAudit } from './refused-call-audit';

type Actor = Pick<OperatorPrincipal, 'sub' | 'roles'>;

/**
 * How the service names a verified operator in `operator_audit.actor`: sp-tsm writes `operator:<sub>` (as the CA and
 * lifecycle do in their own logs), the TSMs the bare subject their audit API has always been queried by. Default ''.
 */
export const OPERATOR_AUDIT_ACTOR_PREFIX = Symbol('OPERATOR_AUDIT_ACTOR_PREFIX');

/** The table `OperatorAudit` writes, for the migrations of the services that keep it (sp-tsm, the TSMs). */
export async function createOperatorAuditTable(q: QueryRunner): Promise<void> {
  await q.query(`
    CREATE TABLE operator_audit (
      id       BIGSERIAL PRIMARY KEY,
      at       TIMESTAMPTZ NOT NULL,
      actor    TEXT NOT NULL,
      roles    TEXT[] NOT NULL,
      action   TEXT NOT NULL,
      target   TEXT,
      outcome  TEXT NOT NULL,
      details  JSONB
    )`);
}

/** The audit log is read newest first by actor or by target (`OperatorAudit.list`): both by index. */
export async function indexOperatorAuditTable(q: QueryRunner): Promise<void> {
  await q.query(`CREATE INDEX operator_audit_actor ON operator_audit (actor, id)`);
  await q.query(`CREATE INDEX operator_audit_target ON operator_audit (target, id) WHERE target IS NOT NULL`);
}

/** Undoes `indexOperatorAuditTable` (a migration's `down`). */
export async function dropOperatorAuditIndexes(q: QueryRunner): Promise<void> {
  await q.query(`DROP INDEX IF EXISTS operator_audit_actor, operator_audit_target`);
}

/**
 * A service's operator audit log (`operator_audit`: at, actor, roles, action, target, outcome, details), the one writer
 * of it in sp-tsm, the MNO-TSMs and the SE-TSM: every operator call, who, what, when and its outcome. Acts are written
 * in the transaction of the change they record, refusals (`refused:<REASON>`) and reads on their own.
 */
@Injectable()
export class OperatorAudit {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Optional() @Inject(OPERATOR_AUDIT_ACTOR_PREFIX) private readonly actorPrefix = '',
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
        await this.record(m, this.actorOf(op), op.roles, action, resolved ?? target, 'ok', details);
        return result;
      });
    } catch (err) {
      const reason = err instanceof DomainHttpException ? err.reason : 'INTERNAL_ERROR';
      await this.record(this.ds.manager, this.actorOf(op), op.roles, action, target, `refused:${reason}`, { message: (err as Error).message }).catch(() => undefined);
      throw err;
    }
  }

  /** Reads are operator calls too: audited (who looked at what, when). */
  async recordRead(op: OperatorPrincipal, action: string, target: string | null, details?: Record<string, unknown>): Promise<void> {
    await this.record(this.ds.manager, this.actorOf(op), op.roles, action, target, 'ok', details);
  }

  /** A call the operator authentication refused before it reached the service (who, or `anonymous`; which route; why). */
  async recordRefusedCall(op: Actor | undefined, action: string, target: string | null, reason: string, details: Record<string, unknown>): Promise<void> {
    await this.record(this.ds.manager, op ? this.actorOf(op) : 'anonymous', op?.roles ?? [], action, target, `refused:${reason}`, printableJson(details));
  }

  /** Newest first. */
  async list(q: { actor?: string; target?: string; limit: number }): Promise<Record<string, unknown>[]> {
    const rows = await this.ds.query(
      `SELECT * FROM operator_audit WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR target = $2) ORDER BY id DESC LIMIT $3`,
      [q.actor ?? null, q.target ?? null, q.limit],
    );
    return rows.map((r: Record<string, unknown>) => ({ ...r, id: Number(r['id']), at: (r['at'] as Date).toISOString() }));
  }

  private actorOf(op: Actor): string {
    return `${this.actorPrefix}${op.sub}`;
  }

  private async record(
    m: EntityManager,
    actor: string,
    roles: readonly string[],
    action: string,
    target: string | null,
    outcome: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await m.query(`INSERT INTO operator_audit (at, actor, roles, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      this.clock.now(),
      actor,
      roles,
      action,
      target,
      outcome,
      details ?? null,
    ]);
  }
}

/**
 * The calls the operator authentication refuses (401, 403: no token, a bad one or one for another service, a missing
 * role or carrier scope), audited under the call's action: who (the verified principal, or `anonymous` with the subject
 * the token claims), what it was about as sent (escaped), and why. The target is the route's parameters; a service whose
 * reads name their subject in the query says which (`targetOf`).
 */
@Injectable()
export class OperatorRefusedCalls implements RefusedCallAudit {
  constructor(private readonly audit: OperatorAudit) {}

  audits(status: number): boolean {
    return authenticationRefusals(status);
  }

  record({ request: req, action, status, reason, claimedSubject }: RefusedCall): Promise<void> {
    const target = this.targetOf(req);
    const details = { status, method: req.method, path: req.path, ...(req.operator ? { carrier: req.operator.carrier ?? null } : { claimedSubject }) };
    return this.audit.recordRefusedCall(req.operator, action, target === undefined ? null : printable(target, 64), reason, details);
  }

  protected targetOf(req: AuditedRequest): string | undefined {
    return Object.values(req.params ?? {}).join('/') || undefined;
  }
}
