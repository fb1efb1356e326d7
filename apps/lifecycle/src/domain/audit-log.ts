import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { currentContext } from '@jpki/observability';
import { Clock, printable, printableJson } from '@jpki/service-kit';
import { queryRows } from './read-model';

export interface AuditEntry {
  /** `operator:<sub>`, `anonymous`, or `system:<source>` for cases the platform opens itself. */
  actor: string;
  roles?: readonly string[];
  /** What was asked, e.g. `loss.report`, `case.read`, `clock.advance`, `contract-end.open`. */
  action: string;
  target?: string | null;
  /** Why (the operator's words, or the event that caused it). */
  reason?: string | null;
  /** `accepted`, `ok`, or `refused:<REASON>`. */
  outcome: string;
  statusCode?: number;
  caseId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'details'>> {
  id: number;
  occurredAt: string;
  recordedAt: string;
  correlationId: string | null;
  details: Record<string, unknown>;
}

/** The append-only operator audit log: who, what, when (simulation clock and machine time), why, outcome. */
@Injectable()
export class AuditLog {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntry, m: EntityManager = this.ds.manager): Promise<void> {
    await m.query(
      `INSERT INTO operator_audit (occurred_at, actor, roles, action, target, reason, outcome, status_code, case_id, correlation_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      // Whatever a refused caller sent (a NUL byte, an unpaired surrogate, a control character) is stored escaped:
      // PostgreSQL takes neither NUL in text nor \u0000 in jsonb, and the refusal must be audited all the same.
      [
        this.clock.now(),
        printable(entry.actor, 200),
        (entry.roles ?? []).map((r) => printable(r, 64)),
        printable(entry.action, 200),
        entry.target == null ? null : printable(entry.target, 200),
        entry.reason == null ? null : printable(entry.reason, 512),
        printable(entry.outcome, 128),
        entry.statusCode ?? null,
        entry.caseId == null ? null : printable(entry.caseId, 200),
        currentContext()?.correlationId ?? null,
        JSON.stringify(printableJson(entry.details ?? {})),
      ],
    );
  }

  async list(filter: { after?: number; limit?: number; actor?: string; action?: string; caseId?: string; target?: string; outcome?: string }): Promise<AuditRecord[]> {
    const rows = await queryRows(
      this.ds.manager,
      `SELECT * FROM operator_audit
        WHERE id > $1 AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR case_id = $4)
          AND ($5::text IS NULL OR target = $5) AND ($6::text IS NULL OR outcome LIKE $6 || '%')
        ORDER BY id LIMIT $7`,
      [filter.after ?? 0, filter.actor ?? null, filter.action ?? null, filter.caseId ?? null, filter.target ?? null, filter.outcome ?? null, filter.limit ?? 100],
    );
    return rows.map((r) => ({
      id: Number(r['id']),
      occurredAt: (r['occurred_at'] as Date).toISOString(),
      recordedAt: (r['recorded_at'] as Date).toISOString(),
      actor: r['actor'] as string,
      roles: r['roles'] as string[],
      action: r['action'] as string,
      target: (r['target'] as string | null) ?? null,
      reason: (r['reason'] as string | null) ?? null,
      outcome: r['outcome'] as string,
      statusCode: (r['status_code'] as number | null) ?? 0,
      caseId: (r['case_id'] as string | null) ?? null,
      correlationId: (r['correlation_id'] as string | null) ?? null,
      details: r['details'] as Record<string, unknown>,
    }));
  }
}
